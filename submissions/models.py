"""Submissions, their authors, uploaded files with their checks.

Their history is the activity log (`workshop.models.Activity`), named by `SubmissionAction`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from workshop.models import Activity, Topic, Workshop

from .identity import initial_key, normalise, organisation_domain


class SubmissionType(models.Model):
    """A kind of paper a workshop accepts, each with its own page limit."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="submission_types"
    )
    track = models.ForeignKey(
        "workshop.Track", on_delete=models.CASCADE, null=True, blank=True,
        related_name="submission_types", help_text="Empty: offered in every track.",
    )  # fmt: skip
    name = models.CharField(max_length=80)
    page_limit = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    camera_ready_page_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: one page more than the submission limit."
    )
    description = models.CharField(max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["workshop", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "name"], name="subtype_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} (≤ {self.page_limit} pages)"


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    DESK_REJECTED = "desk_rejected", "Desk-rejected"


DECIDED = (SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED, SubmissionStatus.DESK_REJECTED)
# What the chairs decide on (the decision board): submitted, or decided already.
DECIDABLE = (SubmissionStatus.SUBMITTED, *DECIDED)
# What the review tools show: submitted, or decided after review (a desk-rejected paper
# leaves them; drafts and withdrawn papers are never in them).
IN_REVIEW = (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED)


class LlmUse(models.TextChoices):
    NONE = "none", "None"
    EDITING = "editing", "Editing help (grammar, wording)"
    SUBSTANTIAL = "substantial", "Substantial (content, code, analysis)"


class Submission(models.Model):
    """A paper. `number` is per workshop and is what reviewers see (#1, #2, ...)."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="submissions")
    # The paper's track (issue 27): empty in a workshop without tracks (the whole workshop).
    track = models.ForeignKey(
        "workshop.Track", on_delete=models.PROTECT, null=True, blank=True,
        related_name="submissions",
    )  # fmt: skip
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    abstract = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(5000)],
        help_text="Markdown with $math$; at most 5,000 characters.",
    )
    tldr = models.CharField("TL;DR", max_length=250, blank=True)
    keywords = models.CharField(max_length=300, blank=True, help_text="Comma-separated.")
    submission_type = models.ForeignKey(
        SubmissionType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    primary_topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    secondary_topics = models.ManyToManyField(Topic, blank=True, related_name="+")
    llm_use = models.CharField(
        "use of LLMs in preparing the paper",
        max_length=20,
        choices=LlmUse.choices,
        default=LlmUse.NONE,
    )
    llm_use_description = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    code_url = models.URLField("code", blank=True)
    code_licence = models.CharField(max_length=60, blank=True)
    data_url = models.URLField("data", blank=True)
    data_licence = models.CharField(max_length=60, blank=True)
    weights_url = models.URLField("model weights", blank=True)
    weights_licence = models.CharField(max_length=60, blank=True)

    status = models.CharField(
        max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    status_before_withdrawal = models.CharField(
        max_length=20, choices=SubmissionStatus.choices, blank=True
    )
    paper = models.ForeignKey(
        "SubmissionFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supplementary = models.ForeignKey(
        "SubmissionFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_submissions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    registered_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When title, abstract, authors and topic were first all in (abstract deadline).",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    camera_ready = models.ForeignKey(
        "SubmissionFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    licence = models.CharField(
        "licence of the published paper", max_length=20, choices=[
            ("CC-BY-4.0", "CC BY 4.0"), ("CC-BY-SA-4.0", "CC BY-SA 4.0"),
            ("CC0-1.0", "CC0 1.0 (public domain)")], blank=True,
    )  # fmt: skip
    licence_accepted_at = models.DateTimeField(null=True, blank=True)
    licence_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by_chair = models.BooleanField(
        default=False, help_text="Withdrawn by a chair: only the chairs can restore it."
    )
    reviews_seen_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When an author first opened the released reviews (after that, only the "
        "chairs can withdraw the paper, unless the workshop allows it anytime).",
    )

    class Meta:
        ordering = ["workshop", "number"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "number"], name="submission_number")
        ]
        indexes = [models.Index(fields=["workshop", "status"], name="submission_status")]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_draft(self) -> bool:
        return self.status == SubmissionStatus.DRAFT

    @property
    def is_submitted(self) -> bool:
        return self.status == SubmissionStatus.SUBMITTED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == SubmissionStatus.WITHDRAWN

    @property
    def is_accepted(self) -> bool:
        return self.status == SubmissionStatus.ACCEPTED

    @property
    def is_in_progress(self) -> bool:
        """A draft or a submitted paper: neither withdrawn nor decided."""
        return self.status in (SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED)

    @property
    def published_pdf(self) -> SubmissionFile | None:
        """The camera-ready file, only if it really is this paper's camera-ready version."""
        final = self.camera_ready
        if final is None or final.submission_id != self.pk or final.kind != FileKind.CAMERA_READY:
            return None
        return final

    @property
    def status_tone(self) -> str:
        """The colour of the status badge: `ok`, `warn` or `bad`."""
        if self.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED):
            return "ok"
        return "warn" if self.status == SubmissionStatus.DRAFT else "bad"

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]


class AuthorshipQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):  # type: ignore[override]
        """Every writer's rows carry their match keys, however they were built."""
        objs = list(objs)
        for obj in objs:
            obj.refresh_keys()
        return super().bulk_create(objs, *args, **kwargs)


class Authorship(models.Model):
    """One author in the ordered author list. Identity is the email address.

    An author sees the submission as soon as `email` is a verified address of their account
    (any of them, matched at read time), so no linking step can be missed. An imported
    author may have no address (HotCRP allows it): such an author is listed, matches no
    account and gets no mail; the browser's author form always asks for an address.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="authors")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    affiliation = models.CharField(max_length=200, blank=True)
    is_contact = models.BooleanField(default=False)
    added_at = models.DateTimeField(auto_now_add=True)
    # Match keys (submissions/identity.py), derived from the three fields above on every save
    # and bulk create: what one reviewer's conflicts are found by, through the indexes.
    name_key = models.CharField(max_length=200, blank=True, editable=False)
    initial_key = models.CharField(max_length=200, blank=True, editable=False)
    affiliation_key = models.CharField(max_length=200, blank=True, editable=False)
    org_domain = models.CharField(max_length=254, blank=True, editable=False)

    MATCH_KEYS = ("name_key", "initial_key", "affiliation_key", "org_domain")

    objects = AuthorshipQuerySet.as_manager()

    class Meta:
        ordering = ["submission", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "email"], condition=~Q(email=""), name="author_unique_email"
            )
        ]
        indexes = [
            models.Index(fields=["email"], name="author_email"),
            models.Index(fields=["name_key"], name="author_name_key"),
            models.Index(fields=["initial_key"], name="author_initial_key"),
            models.Index(fields=["org_domain"], name="author_org_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        self.refresh_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *self.MATCH_KEYS}
        super().save(*args, **kwargs)

    def refresh_keys(self) -> None:
        self.name_key = normalise(self.name)[:200]
        self.initial_key = initial_key(self.name)[:200]
        self.affiliation_key = normalise(self.affiliation)[:200]
        self.org_domain = (organisation_domain(self.email) or "")[:254]


class FileKind(models.TextChoices):
    PAPER = "paper", "Paper"
    SUPPLEMENTARY = "supplementary", "Supplementary material"
    CAMERA_READY = "camera_ready", "Camera-ready paper"


class CheckStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the check"
    DONE = "done", "Checked"
    FAILED = "failed", "Check could not run"
    SKIPPED = "skipped", "Not checked (not a PDF)"


def _stored_name(instance: SubmissionFile, filename: str) -> str:
    """A generated name: the uploader's file name never reaches storage or reviewers."""
    ext = ".zip" if instance.content_type == "application/zip" else ".pdf"
    return f"submissions/{instance.submission.workshop_id}/{uuid.uuid4().hex}{ext}"


def _reviewer_copy_name(instance: SubmissionFile, filename: str) -> str:
    return f"reviewer-copies/{instance.submission.workshop_id}/{uuid.uuid4().hex}.pdf"


class SubmissionFile(models.Model):
    """One uploaded version. Versions are never deleted; the submission points at the current.

    The deep check (metadata, anonymity, hidden text) fills the check fields later, from a
    worker; `reviewer_copy` is the metadata-stripped PDF that reviewers get.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=20, choices=FileKind.choices)
    file = models.FileField(upload_to=_stored_name, max_length=200)
    content_type = models.CharField(max_length=60, default="application/pdf")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    check_status = models.CharField(
        max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING
    )
    check_report = models.JSONField(default=dict, blank=True)
    anonymity_flag = models.BooleanField(default=False)
    hidden_text_flag = models.BooleanField(default=False)
    reviewer_copy = models.FileField(upload_to=_reviewer_copy_name, blank=True, max_length=200)

    class Meta:
        ordering = ["submission", "-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["submission", "kind"], name="file_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of #{self.submission.number} ({self.sha256[:12]})"


class SubmissionAction(models.TextChoices):
    """The actions on a paper, as named in the activity log (`Activity.action`).

    Their entries are written with `authors_see=True`: together they are the paper's history
    that its authors read. The labels are what that history and the receipts say.
    """

    CREATE = "submission.create", "Created"
    EDIT = "submission.edit", "Metadata edited"
    AUTHORS = "submission.authors", "Authors changed"
    UPLOAD = "submission.upload", "File uploaded"
    SUBMIT = "submission.submit", "Submitted"
    WITHDRAW = "submission.withdraw", "Withdrawn"
    RESTORE = "submission.restore", "Restored"
    CONFLICTS = "submission.conflicts", "Conflicts declared"
    CHECK = "submission.check", "File checked"
    CAMERA_READY = "submission.camera_ready", "Camera-ready version uploaded"
    LICENCE = "submission.licence", "Camera-ready details saved"

    @classmethod
    def label_of(cls, activity: Activity) -> str:
        """What a history line or a receipt calls an entry: the plain name of a paper's own
        action; for an entry another app shares with the authors, its summary."""
        if activity.action in cls.values:
            return cls(activity.action).label
        return activity.summary or activity.action


class MissingItem(models.TextChoices):
    """What a draft still lacks before it can be submitted: a stable code and plain words."""

    TITLE = "title", "Give a title"
    ABSTRACT = "abstract", "Write the abstract"
    TOPIC = "topic", "Choose a primary topic"
    TYPE = "type", "Choose the submission type"
    LLM_USE = "llm_use", "Describe how LLMs were used"
    AUTHORS = "authors", "List the authors"
    PAPER = "paper", "Upload the paper PDF"


class AuthorConflict(models.Model):
    """A conflict the authors declare: with a committee member, or with an institution."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="declared_conflicts"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    institution = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(member__isnull=False) & Q(institution=""))
                | (Q(member__isnull=True) & ~Q(institution="")),
                name="author_conflict_member_xor_institution",
            ),
            models.UniqueConstraint(
                fields=["submission", "member"],
                condition=Q(member__isnull=False),
                name="author_conflict_unique_member",
            ),
        ]

    def __str__(self) -> str:
        return str(self.member or self.institution)


class BundleStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


def _bundle_name(instance: ProceedingsBundle, filename: str) -> str:
    return f"proceedings/{instance.workshop_id}/{uuid.uuid4().hex}.zip"


class ProceedingsBundle(models.Model):
    """A ZIP of the accepted papers' camera-ready PDFs with CSV and JSON metadata."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="bundles")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10, choices=BundleStatus.choices, default=BundleStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to=_bundle_name, blank=True, max_length=200)
    papers = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["workshop", "-created_at"]

    def __str__(self) -> str:
        return f"Proceedings of {self.workshop} ({self.created_at:%Y-%m-%d %H:%M})"


# The chairs' custom questions and their answers (issue 27) live in their own module.
from .models_fields import (  # noqa: E402
    CHOICE_KINDS_VALUES,
    FieldKind,
    FieldMilestone,
    FieldVisibility,
    SubmissionField,
    SubmissionFieldValue,
)

__all__ = [
    "CHOICE_KINDS_VALUES",
    "FieldKind",
    "FieldMilestone",
    "FieldVisibility",
    "SubmissionField",
    "SubmissionFieldValue",
]
