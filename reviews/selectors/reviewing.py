"""Reads of the reviewing pages: who sees which paper, review, answer and comment.

Everything identity-dependent for the reviewer's dashboard and the paper page is decided
here, by asking the named permissions of `reviews.permissions` over facts fetched once
(`paper_facts_prefill`), in a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from submissions.models import IN_REVIEW, Submission, SubmissionFile
from workshop.models import Membership, Role, User, Workshop
from workshop.policy import can

from ..models import (
    EXTERNAL,
    Answer,
    Assignment,
    AuthorResponse,
    Comment,
    MetaReview,
    QuestionKind,
    Review,
    ReviewQuestion,
    ReviewStatus,
    ReviewVersion,
)
from ..models.external import counting_assignments
from ..models.reviewing import CommentAudience
from ..permissions import (
    assignment_review,
    own_assignment,
    paper_facts_prefill,
    review_submitted,
    visible_question,
)
from .conflicts import hidden_submission_ids
from .progress import PaperProgress
from .rounds import in_round_form, round_number_annotation
from .scores import Scores, score_value, scores_fill


def reviewer_assignments(user: User) -> list[Assignment]:
    """The user's active assignments across workshops, for the dashboard, without papers
    a conflict hides from them (one found after assignment hides the paper too, unless it is
    only of their own making on a double-blind workshop: `hidden_submission_ids`).

    Work to do comes first: every assignment whose review is not submitted (not started,
    draft, or an area chair's paper) before the submitted ones, each group in deadline order.
    """
    rows = list(_assignments_of(user))
    hidden: set[int] = set()
    for workshop in {a.submission.workshop for a in rows}:
        hidden |= hidden_submission_ids(workshop, user)
    shown = [a for a in rows if a.submission_id not in hidden]
    shown.sort(key=review_submitted)  # stable: the deadline order holds within each group
    return shown


def _assignments_of(user: User) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(
            reviewer=user, declined_at__isnull=True, submission__status__in=IN_REVIEW
        )
        .select_related("submission__workshop", "review")
        .only(
            "pk",
            "role",
            "pseudonym",
            "submission__number",
            "submission__title",
            "submission__workshop__slug",
            "submission__workshop__short_name",
            "submission__workshop__name",
            "submission__workshop__anonymity",
            "submission__workshop__review_deadline",
            "submission__status",
            "review__status",
            "review__updated_at",
        )
        .order_by(
            "submission__workshop__review_deadline", "submission__workshop_id", "submission__number"
        )
    )


@dataclass
class ShownVersion:
    number: int
    submitted_at: object
    after_rebuttal: bool


@dataclass
class ShownReview:
    review: Review
    assignment: Assignment
    answers: list[tuple[ReviewQuestion, object]]
    own: bool
    versions: list[ShownVersion] = field(default_factory=list)
    new: bool = False

    @property
    def edited_after_rebuttal(self) -> bool:
        return any(v.after_rebuttal for v in self.versions)


@dataclass
class ScoreBar:
    value: int
    label: str
    count: int
    own: bool
    x: int = 0
    y: int = 0
    height: int = 0


@dataclass
class ScoreSummary:
    """One score question's distribution over the reviews the viewer may read."""

    question: ReviewQuestion
    bars: list[ScoreBar]
    count: int
    mean: float | None
    spread: int
    own: int | None

    BAR_WIDTH = 36
    GAP = 8
    HEIGHT = 60

    @property
    def width(self) -> int:
        return len(self.bars) * (self.BAR_WIDTH + self.GAP)

    @property
    def alt(self) -> str:
        counts = ", ".join(f"{b.count} × {b.value}" for b in self.bars if b.count)
        text = f"{self.question.label}: {counts or 'no scores yet'}"
        if self.mean is not None:
            text += f"; mean {self.mean}, spread {self.spread}"
        if self.own is not None:
            text += f"; your score {self.own}"
        return text


@dataclass
class Thread:
    first: Comment
    replies: list[Comment]
    readers: str
    chairs_only: bool
    new: bool = False


@dataclass
class PaperPage:
    submission: Submission
    workshop: Workshop
    chair: bool
    is_ac: bool
    own: Assignment | None
    own_review: Review | None
    own_answers: dict[int, object]
    questions: list[ReviewQuestion]
    reviews: list[ShownReview]
    sees_others: bool
    may_discuss: bool
    may_write_meta: bool
    comments: list[Comment] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    responses: list[AuthorResponse] = field(default_factory=list)
    meta_review: MetaReview | None = None
    sees_meta: bool = False
    reviewer_count: int = 0
    submitted_count: int = 0
    scores: list[ScoreSummary] = field(default_factory=list)
    mention_names: list[str] = field(default_factory=list)
    previous_number: int | None = None
    next_number: int | None = None
    position: int = 0
    list_length: int = 0
    findings: SubmissionFile | None = None
    last_visit: object = None
    new_count: int = 0
    signature: str = ""

    @property
    def others(self) -> list[ShownReview]:
        return [r for r in self.reviews if not r.own]

    @property
    def own_shown(self) -> ShownReview | None:
        return next((r for r in self.reviews if r.own), None)

    def mark_new(self, since: object) -> None:
        """Flag what came after the viewer's previous visit (`since`; None: first visit,
        nothing is flagged, everything is new anyway)."""
        self.last_visit = since
        if since is None:
            return
        count = 0
        for shown in self.others:
            shown.new = bool(shown.review.submitted_at and shown.review.submitted_at > since)
            count += shown.new
        for thread in self.threads:
            for note in [thread.first, *thread.replies]:
                note.new = note.created_at > since
                count += note.new
            thread.new = any(n.new for n in [thread.first, *thread.replies])
        self.new_count = count


class NotVisible(Exception):
    """The viewer may not see this paper in review tools (the view answers 404)."""


COMMITTEE_READERS = (
    "Readers: the paper's reviewers who submitted theirs, its area chair, the chairs"
)


def _thread_readers(thread: Comment) -> str:
    if thread.audience == CommentAudience.CHAIRS:
        if thread.signature == "Chair":
            return "Readers: the chairs only"
        return f"Readers: the chairs only (and {thread.signature}, who started it)"
    return COMMITTEE_READERS


def _score_summaries(
    questions: list[ReviewQuestion],
    reviews: list[ShownReview],
    own_answers: dict[int, object],
    chair: bool,
) -> list[ScoreSummary]:
    """Per score question the viewer may read: the distribution over the submitted reviews
    shown (the viewer's own included), drawn as bars."""
    summaries = []
    for q in questions:
        if q.kind != QuestionKind.SCORE or not visible_question(q.visibility, chair=chair):
            continue
        values = Scores(
            scores=[
                number
                for shown in reviews
                if shown.review.status == ReviewStatus.SUBMITTED
                for question, value in shown.answers
                if question.pk == q.pk and (number := score_value(value)) is not None
            ]
        )
        own = score_value(own_answers.get(q.pk))
        labels = sorted(q.score_labels().items())
        bars = [ScoreBar(v, label, values.scores.count(v), own == v) for v, label in labels]
        top = max((b.count for b in bars), default=0) or 1
        for i, bar in enumerate(bars):
            bar.x = i * (ScoreSummary.BAR_WIDTH + ScoreSummary.GAP)
            bar.height = round(bar.count / top * (ScoreSummary.HEIGHT - 4))
            bar.y = ScoreSummary.HEIGHT - bar.height
        summaries.append(
            ScoreSummary(
                question=q, bars=bars, count=len(values.scores),
                mean=None if values.mean is None else round(values.mean, 2),
                spread=values.spread, own=own,
            )
        )  # fmt: skip
    return summaries


def _own_list(user: User, workshop: Workshop, chair: bool) -> list[int]:
    """The paper numbers of the viewer's own list in this workshop (prev/next): a chair's
    every paper in review, a committee member's assigned papers without conflicts."""
    if chair:
        return list(
            Submission.objects.filter(workshop=workshop, status__in=IN_REVIEW)
            .order_by("number")
            .values_list("number", flat=True)
        )
    rows = (
        Assignment.objects.filter(
            reviewer=user, declined_at__isnull=True, submission__workshop=workshop,
            submission__status__in=IN_REVIEW,
        )
        .values_list("submission_id", "submission__number")
        .order_by("submission__number")
    )  # fmt: skip
    hidden = hidden_submission_ids(workshop, user)
    return sorted({number for sid, number in rows if sid not in hidden})


def paper_page(user: User, workshop: Workshop, number: int) -> PaperPage:
    """Everything the paper's forum shows `user`, or NotVisible; a constant number of
    queries whatever the number of reviews, versions and notes."""
    submission = (
        Submission.objects.filter(workshop=workshop, number=number, status__in=IN_REVIEW)
        .select_related("primary_topic", "submission_type", "paper", "workshop")
        .annotate(round_number=round_number_annotation())
        .prefetch_related("secondary_topics")
        .first()
    )
    if submission is None:
        raise NotVisible
    assignments = list(
        Assignment.objects.filter(submission=submission)
        .select_related("reviewer", "round")
        .prefetch_related(
            Prefetch(
                "review",
                queryset=Review.objects.prefetch_related(
                    Prefetch("answers", queryset=Answer.objects.select_related("question")),
                    Prefetch(
                        "versions",
                        queryset=ReviewVersion.objects.only(
                            "pk", "review_id", "number", "submitted_at"
                        ),
                    ),
                ),
            ),
        )
        .order_by("pseudonym", "pk")
    )
    for a in assignments:
        a.submission = submission  # one instance: the policy's facts are cached on it
    paper_facts_prefill(submission, assignments)
    if not can(user, "reviews.view_paper", submission):
        raise NotVisible
    chair = can(user, "reviews.see_chairs_only_answers", submission)
    own = own_assignment(user, submission, Role.REVIEWER) or own_assignment(
        user, submission, EXTERNAL
    )
    ac = own_assignment(user, submission, Role.AREA_CHAIR)
    own_review = assignment_review(own) if own else None
    sees_others = can(user, "reviews.see_other_reviews", submission)
    questions = list(ReviewQuestion.objects.filter(workshop=workshop).select_related("round"))
    if own is not None:  # the form of the reviewer's round (issue 27)
        questions = [q for q in questions if in_round_form(q, own)]
    rebuttal = workshop.rebuttal_opens if workshop.reviews_released else None
    shown = reviews_shown_to(user, submission, assignments, chair=chair)
    for one in shown:
        one.versions = [
            ShownVersion(v.number, v.submitted_at,
                         bool(rebuttal and v.number > 1 and v.submitted_at > rebuttal))
            for v in one.review.versions.all()
        ]  # fmt: skip
    may_discuss = can(user, "reviews.discuss", submission)
    own_answers = {a.question_id: a.value for a in own_review.answers.all()} if own_review else {}
    page = PaperPage(
        submission=submission,
        workshop=workshop,
        chair=chair,
        is_ac=ac is not None,
        own=own,
        own_review=own_review,
        own_answers=own_answers,
        questions=[q for q in questions if q.active],
        reviews=shown,
        sees_others=sees_others,
        may_discuss=may_discuss,
        may_write_meta=can(user, "reviews.write_meta_review", submission),
        reviewer_count=sum(1 for a in assignments if a.role == Role.REVIEWER and not a.declined_at),
        submitted_count=sum(
            1 for a in assignments if a.role == Role.REVIEWER and review_submitted(a)
        ),
    )
    if sees_others:
        page.scores = _score_summaries(page.questions, shown, own_answers, chair)
    if may_discuss:
        _discussion(page, user, assignments)
    # Responses exist only once reviews were released (the window needs it); the committee
    # of the paper reads them whatever the switch says later.
    page.responses = list(
        AuthorResponse.objects.filter(submission=submission).select_related("review__assignment")
    )
    page.sees_meta = can(user, "reviews.see_meta_review", submission)
    if page.sees_meta:
        page.meta_review = (
            MetaReview.objects.filter(submission=submission).select_related("author").first()
        )
    if can(user, "submissions.view_check_findings", submission):
        page.findings = submission.paper
    numbers = _own_list(user, workshop, chair and own is None and ac is None)
    if number in numbers:
        i = numbers.index(number)
        page.position, page.list_length = i + 1, len(numbers)
        page.previous_number = numbers[i - 1] if i > 0 else None
        page.next_number = numbers[i + 1] if i + 1 < len(numbers) else None
    return page


def shown_answers(
    user: User, review: Review, *, chair: bool
) -> list[tuple[ReviewQuestion, object]]:
    """The answers of `review` (answers and questions prefetched) its viewer reads, in the
    form's order: every answer of their own review; of another's, those each question's
    visibility shows them (`visible_question`: chairs-only answers to the chairs)."""
    if review.pk is None:
        return []  # a review not started yet: nothing answered
    mine = review.assignment.reviewer_id == user.pk
    return [
        (answer.question, answer.value)
        for answer in sorted(review.answers.all(), key=lambda a: (a.question.order, a.question_id))
        if mine or visible_question(answer.question.visibility, chair=chair)
    ]


def reviews_shown_to(
    user: User, submission: Submission, assignments: list[Assignment], *, chair: bool
) -> list[ShownReview]:
    """The reviews of the paper `user` reads (`reviews.see_review`: drafts to their writer
    and the chairs, the others' after one's own as the workshop says, ...), each with the
    answers they read (`shown_answers`). `assignments`: the paper's, with their reviews'
    answers prefetched and the policy's facts prefilled (`paper_facts_prefill`); `chair`:
    whether the viewer reads the paper as a chair (`reviews.see_chairs_only_answers`)."""
    shown = []
    for a in assignments:
        review = getattr(a, "review", None)
        if a.role not in (Role.REVIEWER, EXTERNAL) or review is None:
            continue
        review.assignment = a
        if not can(user, "reviews.see_review", review):
            continue
        answers = shown_answers(user, review, chair=chair)
        shown.append(ShownReview(review, a, answers, a.reviewer_id == user.pk))
    return shown


def workshop_reviews_shown_to(
    user: User, papers: list[Submission]
) -> list[tuple[ShownReview, bool]]:
    """The reviews of these papers (of one workshop) `user` reads, paper by paper, each with
    whether they read it as a chair: only papers they see in review tools
    (`reviews.view_paper`), then `reviews_shown_to`. Two queries for any number of papers."""
    by_paper: dict[int, list[Assignment]] = {}
    for a in (
        Assignment.objects.filter(submission__in=papers)
        .select_related("reviewer", "review")
        .prefetch_related(
            Prefetch("review__answers", queryset=Answer.objects.select_related("question"))
        )
        .order_by("pk")
    ):
        by_paper.setdefault(a.submission_id, []).append(a)
    out = []
    for paper in papers:
        assignments = by_paper.get(paper.pk, [])
        for a in assignments:
            a.submission = paper  # one instance: the policy's facts are cached on it
        paper_facts_prefill(paper, assignments)
        if not can(user, "reviews.view_paper", paper):
            continue
        chair = can(user, "reviews.see_chairs_only_answers", paper)
        out += [(one, chair) for one in reviews_shown_to(user, paper, assignments, chair=chair)]
    return out


def _discussion(page: PaperPage, user: User, assignments: list[Assignment]) -> None:
    """The threads the viewer reads, the names they may mention (the pseudonyms of the
    readers of committee notes: never a name), and the signature they post with."""
    from ..services.reviewing import signature_for

    submission = page.submission
    notes = list(submission.comments.select_related("author"))
    page.comments = notes
    replies: dict[int, list[Comment]] = {}
    for note in notes:
        note.new = False
        if note.parent_id:
            replies.setdefault(note.parent_id, []).append(note)
    for note in notes:
        if note.parent_id is None and (
            note.audience == CommentAudience.COMMITTEE or page.chair or note.author_id == user.pk
        ):
            page.threads.append(
                Thread(note, replies.get(note.pk, []), _thread_readers(note),
                       note.audience == CommentAudience.CHAIRS)
            )  # fmt: skip
    names = []
    for a in assignments:
        if a.declined_at or a.reviewer_id == user.pk:
            continue
        if a.role == Role.AREA_CHAIR or review_submitted(a):
            names.append(a.display_name)
    page.signature = signature_for(user, submission, assignments)
    if page.signature != "Chair":
        names.append("Chair")
    page.mention_names = sorted(set(names))


def assignment_for(
    user: User, workshop: Workshop, number: int, role: str | None = None
) -> Assignment:
    """The user's own active assignment on paper `number`, as reviewer or external
    reviewer unless `role` says (Assignment.DoesNotExist, also when a conflict hides the
    paper from the user: `hidden_submission_ids`)."""
    roles = [role] if role else [Role.REVIEWER, EXTERNAL]
    assignment = Assignment.objects.select_related("submission__workshop").get(
        reviewer=user,
        role__in=roles,
        declined_at__isnull=True,
        submission__workshop=workshop,
        submission__number=number,
        submission__status__in=IN_REVIEW,
    )
    if assignment.submission_id in hidden_submission_ids(workshop, user):
        raise Assignment.DoesNotExist
    return assignment


# --- The area chairs' console ------------------------------------------------------------------
@dataclass
class PendingReview:
    pseudonym: str
    started: bool
    # An external reviewer's (issue 28): named as such, and submitted but not approved yet.
    name: str = ""
    awaiting_approval: bool = False


@dataclass
class ConsoleRow(PaperProgress):
    """A paper of the area chair's console: its progress (spread, disagreement, mean as on
    the chairs' progress view), the reviews still pending and the meta-review."""

    pending: list[PendingReview] = field(default_factory=list)
    meta: MetaReview | None = None

    @property
    def to_remind(self) -> int:
        """The pending reviews still to write (an approval is the requester's to give)."""
        return sum(1 for p in self.pending if not p.awaiting_approval)

    @property
    def late(self) -> bool:
        return bool(self.to_remind) and timezone.now() > self.submission.workshop.review_deadline


@dataclass
class ConsoleGroup:
    workshop: Workshop
    rows: list[ConsoleRow]
    meta_locked: bool

    @property
    def submitted(self) -> int:
        return sum(r.submitted for r in self.rows)

    @property
    def assigned(self) -> int:
        return sum(r.assigned for r in self.rows)


CONSOLE_FILTERS = {
    "": "All papers",
    "disagreement": "Scores two or more apart",
    "missing": "Reviews missing",
    "no-meta": "No meta-review yet",
}


def area_chair_console(user: User, *, slug: str = "", show: str = "") -> list[ConsoleGroup]:
    """The area chair's own papers, per workshop (only workshops where they are an area chair,
    `reviews.view_area_chair_console`), with review progress, recommendation scores and their
    spread, the reviewers still to submit (by pseudonym) and the meta-review. A constant
    number of queries per workshop, whatever the number of papers and reviews."""
    workshops = [
        m.workshop
        for m in Membership.objects.filter(user=user, role=Role.AREA_CHAIR)
        .select_related("workshop")
        .order_by("-workshop__paper_deadline")
        if not slug or m.workshop.slug == slug
    ]
    workshops = [w for w in workshops if can(user, "reviews.view_area_chair_console", w)]
    if not workshops:
        return []
    by_id = {w.pk: w for w in workshops}
    hidden: set[int] = set()
    for w in workshops:
        hidden |= hidden_submission_ids(w, user)
    rows: dict[int, ConsoleRow] = {}
    for a in (
        Assignment.objects.filter(
            reviewer=user, role=Role.AREA_CHAIR, declined_at__isnull=True,
            submission__workshop_id__in=by_id, submission__status__in=IN_REVIEW,
        )
        .select_related("submission")
        .only("pk", "submission__id", "submission__number", "submission__title",
              "submission__workshop_id", "submission__status")
        .order_by("submission__number")
    ):  # fmt: skip
        if a.submission_id in hidden:
            continue
        a.submission.workshop = by_id[a.submission.workshop_id]
        rows[a.submission_id] = ConsoleRow(a.submission)
    for a in (
        Assignment.objects.filter(
            counting_assignments(), submission_id__in=rows, declined_at__isnull=True
        )
        .select_related("review")
        .only("pk", "submission_id", "pseudonym", "review__status", "review__id")
        .order_by("pseudonym", "pk")
    ):
        row = rows[a.submission_id]
        row.assigned += 1
        if review_submitted(a):
            row.submitted += 1
        else:
            row.pending.append(PendingReview(a.pseudonym, assignment_review(a) is not None))
    # External reviews that do not count yet: still to write, or awaiting approval.
    for a in (
        Assignment.objects.filter(
            submission_id__in=rows, role=EXTERNAL, declined_at__isnull=True,
            external_request__counts=False,
        )
        .select_related("review")
        .only("pk", "submission_id", "pseudonym", "role", "review__status", "review__id")
        .order_by("pseudonym", "pk")
    ):  # fmt: skip
        rows[a.submission_id].pending.append(
            PendingReview(a.pseudonym, assignment_review(a) is not None, a.display_name,
                          awaiting_approval=review_submitted(a))
        )  # fmt: skip
    scores_fill(rows)
    for meta in MetaReview.objects.filter(submission_id__in=rows).only(
        "pk", "submission_id", "recommendation", "updated_at"
    ):
        rows[meta.submission_id].meta = meta
    for row in rows.values():
        row.sort()
    if show == "disagreement":
        rows = {k: r for k, r in rows.items() if r.disagreement}
    elif show == "missing":
        rows = {k: r for k, r in rows.items() if r.pending}
    elif show == "no-meta":
        rows = {k: r for k, r in rows.items() if r.meta is None}
    return [
        ConsoleGroup(
            w,
            [r for r in rows.values() if r.submission.workshop_id == w.pk],
            w.decisions_released,
        )
        for w in workshops
    ]
