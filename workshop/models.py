"""Users, workshops with their milestones, topics, roles, and the mail outbox."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .deadlines import AOE_NAME, validate_deadline_timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in by email; `email` is the primary address, others live in allauth."""

    email = models.EmailField("email address", unique=True)
    name = models.CharField("full name", max_length=200)
    affiliation = models.CharField(max_length=200, blank=True)
    orcid = models.CharField(
        "ORCID iD", max_length=19, blank=True, help_text="e.g. 0000-0002-1825-0097"
    )
    dblp_url = models.URLField("DBLP profile", blank=True)
    semantic_scholar_url = models.URLField("Semantic Scholar profile", blank=True)
    homepage = models.URLField(blank=True)
    notification_prefs = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per kind of non-essential notification: 'event' (default) or 'digest'.",
    )
    is_staff = models.BooleanField(
        default=False, help_text="Can enter the admin (chairs get this with their role)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return (self.name.split() or [self.email])[0]


class AnonymityMode(models.TextChoices):
    DOUBLE_BLIND = "double_blind", "Double-blind (authors and reviewers hidden)"
    SINGLE_BLIND = "single_blind", "Single-blind (reviewers hidden)"
    OPEN = "open", "Open (everyone named)"


class OtherReviewsVisibility(models.TextChoices):
    NEVER = "never", "Never"
    AFTER_OWN = "after_own", "After submitting their own review"
    ALWAYS = "always", "Always"


class Openness(models.TextChoices):
    """What the public reads of the reviewing once it is over (the chairs' choice, shown on
    the call page). What is published is decided by `reviews.view_public_forum`."""

    CLOSED = "closed", "Closed: reviews stay private"
    ACCEPTED = "accepted", "Open for accepted papers: their reviews are published"
    ALL = "all", "Open reviewing: reviews of every paper are published"


class ReviewLlmPolicy(models.TextChoices):
    """What the chairs allow reviewers to do with a language model (shown on the review
    form). Any policy but NONE asks every reviewer to declare their use with each review."""

    NONE = "none", "No policy (no question asked)"
    NOT_ALLOWED = "not_allowed", "Not allowed"
    LANGUAGE_ONLY = "language_only", "Allowed for language editing only"
    WITH_STATEMENT = "with_statement", "Allowed, with a statement of how"


class Workshop(models.Model):
    """One venue edition. Every domain object hangs off a workshop; nothing crosses them.

    Milestones are aware datetimes (stored in UTC, shown in AoE). The phase is derived from
    them and the two release switches by `workshop.phases.current_phase`, never stored.
    """

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40, help_text="e.g. OSLLM 2027")
    slug = models.SlugField(max_length=60, unique=True)
    call_for_papers = models.TextField(blank=True, help_text="Markdown; rendered safely.")
    contact_email = models.EmailField()
    anonymity = models.CharField(
        max_length=20, choices=AnonymityMode.choices, default=AnonymityMode.DOUBLE_BLIND
    )
    reviews_per_paper = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    page_limit = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(1)], help_text="Pages, excluding references."
    )
    upload_limit_mb = models.PositiveSmallIntegerField(
        "upload size limit (MB)", default=20, validators=[MinValueValidator(1)]
    )
    other_reviews_visibility = models.CharField(
        max_length=20,
        choices=OtherReviewsVisibility.choices,
        default=OtherReviewsVisibility.AFTER_OWN,
    )
    openness = models.CharField(
        "open reviewing",
        max_length=10,
        choices=Openness.choices,
        default=Openness.CLOSED,
        help_text="Whether reviews, meta-reviews and author responses become public forums "
        "once decisions and reviews are released (reviewers stay anonymous unless they sign; "
        "authors are named for accepted papers only).",
    )
    reviewer_max_load = models.PositiveSmallIntegerField(
        "default maximum load",
        default=6,
        validators=[MinValueValidator(1)],
        help_text="Papers per reviewer unless the chairs approve a lower request.",
    )
    bids_requested = models.PositiveSmallIntegerField(
        default=12, help_text="How many bids each reviewer is asked to place."
    )
    rebuttal_word_limit = models.PositiveSmallIntegerField(
        "author response word limit", default=600, validators=[MinValueValidator(50)]
    )
    reminders_disabled = models.JSONField(
        default=list, blank=True, help_text="Kinds of reminders the chairs switched off."
    )
    is_public = models.BooleanField(
        default=True, help_text="Listed on the home page while its call is open or announced."
    )
    review_llm_policy = models.CharField(
        "LLM use in reviewing",
        max_length=20,
        choices=ReviewLlmPolicy.choices,
        default=ReviewLlmPolicy.NONE,
        help_text="Shown on the review form. Any policy asks each reviewer, with every review, "
        "whether they used a language model; the answers are read by the chairs only.",
    )
    authors_withdraw_anytime = models.BooleanField(
        "authors may withdraw anytime",
        default=False,
        help_text="Off (the default): once the authors have read released reviews or a "
        "decision is set, only the chairs can withdraw a paper.",
    )
    review_copy_canary = models.BooleanField(
        "canaries in review copies",
        default=False,
        help_text="Each reviewer downloads a copy of the paper made for them: a footer naming "
        "their pseudonym, an instruction invisible on screen and in print asking a language "
        "model to use a phrase unique to that copy, and a fingerprint. A review or comment "
        "with a copy's phrase is flagged to the chairs; a leaked copy can be traced "
        "(manage.py copy_trace). The call page says that review copies carry hidden markers.",
    )
    review_min_words = models.PositiveIntegerField(
        "minimum words in a review",
        default=0,
        help_text="A submitted review whose free-text answers hold fewer words is flagged to "
        "the chairs (never told to the reviewer). 0: no minimum.",
    )

    # Milestones (DESIGN section 3). Optional ones may be left empty.
    submission_opens = models.DateTimeField()
    abstract_deadline = models.DateTimeField(
        null=True, blank=True, help_text="Abstract registration; empty for a single deadline."
    )
    paper_deadline = models.DateTimeField()
    supplementary_deadline = models.DateTimeField(null=True, blank=True)
    bidding_deadline = models.DateTimeField(null=True, blank=True)
    review_deadline = models.DateTimeField()
    rebuttal_opens = models.DateTimeField("author response opens", null=True, blank=True)
    rebuttal_closes = models.DateTimeField("author response closes", null=True, blank=True)
    discussion_ends = models.DateTimeField(null=True, blank=True)
    notification_date = models.DateTimeField()
    camera_ready_deadline = models.DateTimeField("camera-ready deadline", null=True, blank=True)
    deadline_timezone = models.CharField(
        "time zone of the deadlines",
        max_length=64,
        default=AOE_NAME,
        validators=[validate_deadline_timezone],
        help_text="The zone the chairs type and read the milestones in: AoE (UTC−12, the "
        "default) or the venue's, e.g. Europe/Vienna. They are stored in UTC and shown to "
        "people in AoE either way.",
    )
    grace_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(24 * 60)],
        help_text="Accepted after a deadline but never advertised.",
    )

    # The two explicit chair switches that move the phase on.
    reviews_released = models.BooleanField(default=False)
    decisions_released = models.BooleanField(default=False)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paper_deadline"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paper_deadline__gt=F("submission_opens")),
                name="workshop_deadline_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(abstract_deadline__isnull=True)
                | Q(abstract_deadline__lte=F("paper_deadline")),
                name="workshop_abstract_before_paper",
            ),
            models.CheckConstraint(
                condition=Q(review_deadline__gt=F("paper_deadline")),
                name="workshop_reviews_after_papers",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    @property
    def grace(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.grace_minutes)

    @property
    def upload_limit_bytes(self) -> int:
        return self.upload_limit_mb * 1024 * 1024

    @property
    def is_double_blind(self) -> bool:
        return self.anonymity == AnonymityMode.DOUBLE_BLIND


class Topic(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["workshop", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "name"], name="topic_unique_per_workshop")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CHAIR = "chair", "Chair"
    AREA_CHAIR = "area_chair", "Area chair"
    REVIEWER = "reviewer", "Reviewer"


class Membership(models.Model):
    """A role of a user in one workshop. A person may hold several roles in one workshop."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workshop", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "user", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.workshop}"


class MailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    HELD = "held", "Held for release"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    DIGEST = "digest", "Waiting for the daily digest"
    DIGESTED = "digested", "Sent in a digest"


class Concerning(models.Model):
    """What a log entry or a mail is about: any object (generic relation), and the paper.

    `submission_id` is the paper's id as a plain indexed integer, not a foreign key: this
    app sits below `submissions` and must not name its models. It lets the chairs' pages
    gather everything about one paper (its reviews, assignments, decision) in one query.
    """

    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    submission_id = models.PositiveIntegerField(
        "paper", null=True, blank=True, db_index=True, help_text="The paper it concerns."
    )

    class Meta:
        abstract = True


class OutgoingMail(Concerning):
    """One logical message. Written in the transaction of the change that causes it.

    `key` is unique per logical message, so a retried request, a second click or a beat that
    fires twice cannot queue the same message twice. Delivery claims the row (status
    `sending`, `claimed_at`) before talking to SMTP; a claim older than
    OUTBOX_CLAIM_SECONDS is taken to be a dead worker's and is retried by the sweep.
    """

    key = models.CharField(max_length=255, unique=True)
    workshop = models.ForeignKey(
        Workshop, null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="mails"
    )
    to = models.EmailField()
    kind = models.CharField(max_length=60, help_text="The template it was rendered from.")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    reply_to = models.EmailField(blank=True)
    status = models.CharField(
        max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "outgoing mail"
        verbose_name_plural = "mail outbox"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["target_type", "target_id"], name="outbox_target"),
            # The chairs' outbox: one workshop's mail, newest first, a page at a time.
            models.Index(fields=["workshop", "-created_at"], name="outbox_workshop_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class Activity(Concerning):
    """One entry of the activity log: who did what, to which object, and why.

    Written by every action (`workshop.activity.activity_record`), in the action's own
    transaction. Chairs read it per workshop and per paper; authors see the entries of
    their paper marked `authors_see` (their history), never who else acted.
    `actor` is empty for the system (imports, periodic tasks).
    """

    workshop = models.ForeignKey(
        Workshop, null=True, blank=True, on_delete=models.CASCADE, related_name="activity"
    )
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True, help_text="e.g. submission.withdraw")
    target_label = models.CharField("object", max_length=255, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    authors_see = models.BooleanField(
        default=False, help_text="Part of the paper's history that its authors read."
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "activity entry"
        verbose_name_plural = "activity log"
        indexes = [models.Index(fields=["workshop", "-at"], name="activity_workshop_at")]

    def __str__(self) -> str:
        return f"{self.action}: {self.target_label}"

    @property
    def actor_label(self) -> str:
        return str(self.actor) if self.actor_id else "system"


class Track(models.Model):
    """A part of a workshop with its own papers, committee and chairs (main, findings,
    demos). A workshop without tracks is one whole, as before; with tracks, every paper
    belongs to exactly one, and a track's chairs act on its papers only (`is_track_chair`).

    Its submission types are those pointing at it (`SubmissionType.track`) plus those of no
    track; its topics are `topics`, or all of the workshop's when it names none.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=40, help_text="Short, in URLs and searches: findings")
    description = models.CharField(max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="tracks", help_text="Empty: every topic of the workshop."
    )

    class Meta:
        ordering = ["workshop", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "name"], name="track_unique_name"),
            models.UniqueConstraint(fields=["workshop", "slug"], name="track_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.name


class TrackMember(models.Model):
    """A role in one track: its chair, an area chair or a reviewer of its committee.

    A track's committee members are also members of the workshop (their reviewer or area
    chair role there); a track chair is not a chair of the workshop (and gets `is_staff` to
    enter the chair tools, which then show their track only).
    """

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="track_roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["track", "role", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "user", "role"], name="track_member_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.track}"
