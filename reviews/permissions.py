"""The reviewing policy (DESIGN section 4): who sees and does what in review tools, when.

Identity predicates (the paper's reviewer or area chair, in conflict or not), phase
predicates (bidding, reviewing, author response) and release predicates, and the named
permissions built from them, registered with django-rules and asked through
`workshop.policy`. Predicates take `(user, obj)`; what they need about a paper (its
assignments with their reviews, the user's conflict) is fetched once and kept on the
paper instance for the request, and selectors that show many things at once fill the
same cache (`paper_facts_prefill`), so asking many permissions costs no extra queries.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import rules
from django.utils import timezone

from submissions.models import Submission, SubmissionStatus
from submissions.permissions import (
    decisions_out,
    is_author,
    is_in_review,
)
from workshop.models import Openness, OtherReviewsVisibility, Role, User, Workshop
from workshop.permissions import (
    is_area_chair_member,
    is_chair,
    is_chair_of_paper,
    is_committee,
    is_person,
)
from workshop.phases import accepts_until

from .models import EXTERNAL, Assignment, PublicComment, QuestionVisibility, Review, ReviewStatus
from .selectors.rounds import response_window_for

if TYPE_CHECKING:
    from .selectors.conflicts import ConflictMap

# --- facts about one paper, fetched once per request ------------------------------------


def paper_assignments(submission: Submission) -> list[Assignment]:
    """Every assignment of the paper (declined ones too) with its review, cached."""
    cached = submission.__dict__.get("_policy_assignments")
    if cached is None:
        cached = list(
            Assignment.objects.filter(submission=submission).select_related("review", "round")
        )
        submission.__dict__["_policy_assignments"] = cached
    return cached


def paper_facts_prefill(submission: Submission, assignments: list[Assignment]) -> None:
    """Selectors that fetched the assignments (with `review`) already hand them over."""
    submission.__dict__["_policy_assignments"] = assignments


def in_conflict(user: User, submission: Submission) -> bool:
    """Whether a conflict keeps `user` out of the paper's review tools, cached per paper:
    every source, but on a double-blind workshop only those no guess of the user's own can
    produce (`selectors.conflicts`: refusing the tools would answer the guess; the others
    are applied at assignment)."""
    from .selectors.conflicts import hidden_submission_ids

    if not is_person(user):
        return False
    cache: dict[int, bool] = submission.__dict__.setdefault("_policy_conflicts", {})
    if user.pk not in cache:
        cache[user.pk] = submission.pk in hidden_submission_ids(submission.workshop, user)
    return cache[user.pk]


def active(assignments: list[Assignment], user: Any, role: str) -> Assignment | None:
    """The user's active (not declined) assignment in `role` among `assignments`: of the
    latest review round, where a paper went to a later round (issue 27)."""
    pk = getattr(user, "pk", None)
    if pk is None:
        return None
    return next(
        (
            a
            for a in reversed(assignments)
            if a.reviewer_id == pk and a.role == role and not a.declined_at
        ),
        None,
    )


def bidding_conflict_reasons(user: User, submission: Submission) -> set[str]:
    """Why the user's bidding hides the paper (drafts count too), cached per paper; empty when
    there is no conflict, a chair lifted it, or (double-blind) it is only of the user's own
    making (`ConflictMap.known_reasons`)."""
    from .selectors.conflicts import conflicts_for

    if not is_person(user):
        return set()
    cache: dict[int, set[str]] = submission.__dict__.setdefault("_policy_bid_conflicts", {})
    if user.pk not in cache:
        found = conflicts_for(submission.workshop, user_ids=[user.pk], include_drafts=True)
        bidding_facts_prefill(submission, user, found)
    return cache[user.pk]


def bidding_facts_prefill(submission: Submission, user: User, conflicts: ConflictMap) -> None:
    """Callers that computed the user's `ConflictMap` for the request (the bid view, its
    selector and `bid_place`) hand it over, so that the bidding rules ask nothing more."""
    cache: dict[int, set[str]] = submission.__dict__.setdefault("_policy_bid_conflicts", {})
    pair = (submission.pk, user.pk)
    cache[user.pk] = conflicts.known_reasons(*pair)


def own_assignment(user: Any, submission: Submission, role: str = Role.REVIEWER
                   ) -> Assignment | None:  # fmt: skip
    """The user's active assignment on the paper, unless they are in conflict with it."""
    found = active(paper_assignments(submission), user, role)
    if found is None or in_conflict(user, submission):
        return None
    return found


def assignment_review(assignment: Assignment) -> Review | None:
    """The assignment's review (None before one is started): the relation the caller
    loaded (`select_related`/`prefetch_related("review")`), else fetched once and kept on
    the assignment instance, so that every rule asking about it costs one query at most."""
    try:
        return assignment.review
    except Review.DoesNotExist:
        return None


def review_submitted(assignment: Assignment) -> bool:
    review = assignment_review(assignment)
    return review is not None and review.status == ReviewStatus.SUBMITTED


# --- phases ------------------------------------------------------------------------------


def bidding_open(workshop: Workshop, now: dt.datetime | None = None) -> bool:
    """Bids are taken from the paper deadline until the bidding deadline (grace included)."""
    now = now or timezone.now()
    return (
        workshop.bidding_deadline is not None
        and now >= workshop.paper_deadline
        and accepts_until(workshop.bidding_deadline, workshop, now)
    )


def reviews_writable(workshop: Workshop, *, submitted: bool, now: dt.datetime | None = None
                     ) -> bool:  # fmt: skip
    """Until the review deadline, any review; after it, only a submitted review may be
    updated, and only while the discussion is open (author response to discussion end),
    so that reviewers can answer the authors."""
    now = now or timezone.now()
    if accepts_until(workshop.review_deadline, workshop, now):
        return True
    start = workshop.rebuttal_opens
    end = workshop.discussion_ends or workshop.rebuttal_closes
    return bool(submitted and start and end and start <= now and accepts_until(end, workshop, now))


def rebuttal_open(workshop: Workshop, now: dt.datetime | None = None) -> bool:
    """The author response window, once reviews are released."""
    now = now or timezone.now()
    return (
        workshop.reviews_released
        and workshop.rebuttal_opens is not None
        and workshop.rebuttal_closes is not None
        and workshop.rebuttal_opens <= now
        and accepts_until(workshop.rebuttal_closes, workshop, now)
    )


# --- predicates --------------------------------------------------------------------------


@rules.predicate
def is_paper_reviewer(user: User, submission: Submission) -> bool:
    return own_assignment(user, submission, Role.REVIEWER) is not None


@rules.predicate
def is_paper_area_chair(user: User, submission: Submission) -> bool:
    return own_assignment(user, submission, Role.AREA_CHAIR) is not None


@rules.predicate
def is_paper_external(user: User, submission: Submission) -> bool:
    """An external reviewer of the paper (issue 28): one paper, no membership."""
    return own_assignment(user, submission, EXTERNAL) is not None


@rules.predicate
def external_joins_discussion(user: User, submission: Submission) -> bool:
    """The chairs let external reviewers read the discussion and the other reviews, once
    their own review is in (`ExternalReviewSettings.sees_discussion`)."""
    from .selectors.external import external_settings

    assignment = own_assignment(user, submission, EXTERNAL)
    return (
        assignment is not None
        and review_submitted(assignment)
        and external_settings(submission.workshop).sees_discussion
    )


@rules.predicate
def has_submitted_review(user: User, submission: Submission) -> bool:
    assignment = own_assignment(user, submission)
    return assignment is not None and review_submitted(assignment)


@rules.predicate
def others_visible_by_setting(user: User, submission: Submission) -> bool:
    """Rule 5: a reviewer sees the other reviews per the chairs' setting."""
    setting = submission.workshop.other_reviews_visibility
    if setting == OtherReviewsVisibility.ALWAYS:
        return True
    if setting == OtherReviewsVisibility.AFTER_OWN:
        return has_submitted_review(user, submission)
    return False


@rules.predicate
def is_assignment_reviewer(user: User, assignment: Assignment) -> bool:
    """The assignment is the user's own, active, and not in conflict."""
    return (
        assignment.reviewer_id == getattr(user, "pk", None)
        and not assignment.declined_at
        and not in_conflict(user, assignment.submission)
    )


@rules.predicate
def review_not_submitted(_user: object, assignment: Assignment) -> bool:
    return not review_submitted(assignment)


@rules.predicate
def while_reviews_writable(_user: object, assignment: Assignment) -> bool:
    if assignment.round_id is not None:
        # A review round's own hard deadline (round 1 without its own: the workshop's).
        rnd = assignment.round
        if rnd.number > 1 or rnd.review_deadline or rnd.review_hard_deadline:
            return timezone.now() <= rnd.refused_after()
    return reviews_writable(assignment.submission.workshop, submitted=review_submitted(assignment))


@rules.predicate
def is_review_writer(user: User, review: Review) -> bool:
    return review.assignment.reviewer_id == getattr(user, "pk", None)


@rules.predicate
def is_submitted_review(_user: object, review: Review) -> bool:
    return review.status == ReviewStatus.SUBMITTED


@rules.predicate
def sees_other_reviews_of_its_paper(user: User, review: Review) -> bool:
    return rules.has_perm("reviews.see_other_reviews", user, review.assignment.submission)


@rules.predicate
def while_bidding_open(_user: object, obj: Submission | Workshop) -> bool:
    return bidding_open(obj if isinstance(obj, Workshop) else obj.workshop)


@rules.predicate
def is_biddable(user: User, obj: Submission | Workshop) -> bool:
    """A paper under review that no conflict hides from the user, except the user's own
    "in conflict" bid (so that a mis-click can be undone). Any workshop: its bidding."""
    if isinstance(obj, Workshop):
        return True
    return obj.status == SubmissionStatus.SUBMITTED and not (
        bidding_conflict_reasons(user, obj) - {"bid"}
    )


@rules.predicate
def while_rebuttal_open(_user: object, submission: Submission) -> bool:
    """A response round open to the paper (issue 27), or the workshop's single window."""
    return response_window_for(submission) is not None


@rules.predicate
def reviews_out(_user: object, obj: Submission | Workshop) -> bool:
    workshop = obj if isinstance(obj, Workshop) else obj.workshop
    return workshop.reviews_released


def visible_question(visibility: str, *, chair: bool) -> bool:
    """Which answers the committee sees: chairs all, others all but chairs-only (`chair`
    comes from `reviews.see_chairs_only_answers`). Authors see only author-visible ones
    (`services.decisions.author_visible_reviews`)."""
    return chair or visibility != QuestionVisibility.CHAIRS


@rules.predicate
def is_publication_owner(user: Any, owner: Any) -> bool:
    """A person's publication list is theirs alone (object: the person); the system actor
    (demo data, commands) acts for anyone. Chairs read expertise, they never edit it."""
    if getattr(user, "is_system", False):
        return True
    return is_person(user) and isinstance(owner, User) and owner.pk == user.pk


# --- open reviewing (issue 14) -------------------------------------------------------------

# Public comments one person may post per hour on the forums of one workshop.
PUBLIC_COMMENT_RATE = 5
PUBLIC_COMMENT_WINDOW = dt.timedelta(hours=1)


def forums_published(workshop: Workshop) -> bool:
    """The workshop publishes forums at all: an open policy, and both releases are out
    (the authors read their reviews and decisions before the public does)."""
    return (
        workshop.openness != Openness.CLOSED
        and workshop.decisions_released
        and workshop.reviews_released
    )


def forum_published(submission: Submission) -> bool:
    """The paper's forum is public: `accepted` publishes the accepted papers, `all` every
    paper that was reviewed (never drafts, withdrawn or desk-rejected papers)."""
    workshop = submission.workshop
    if not forums_published(workshop):
        return False
    if workshop.openness == Openness.ACCEPTED:
        return submission.status == SubmissionStatus.ACCEPTED
    return submission.status in (SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED)


def public_comments_recent(user: Any, workshop: Workshop, now: dt.datetime | None = None) -> int:
    """How many public comments (any status) the person posted on the workshop's forums in
    the rate-limit window; counted in the database, so every web process agrees."""
    since = (now or timezone.now()) - PUBLIC_COMMENT_WINDOW
    return PublicComment.objects.filter(
        author_id=user.pk, submission__workshop=workshop, created_at__gte=since
    ).count()


@rules.predicate
def is_forum_published(_user: object, obj: Submission | Workshop) -> bool:
    """Object: a paper (its forum), or a workshop (its index and feed of forums)."""
    if isinstance(obj, Workshop):
        return forums_published(obj)
    return forum_published(obj)


@rules.predicate
def authors_named_publicly(_user: object, submission: Submission) -> bool:
    """Authors are named in public for accepted papers, once decisions are out; rejected
    papers stay anonymous whatever the policy."""
    return submission.status == SubmissionStatus.ACCEPTED and submission.workshop.decisions_released


@rules.predicate
def is_signed_in_person(user: Any) -> bool:
    return is_person(user)


@rules.predicate
def within_public_comment_rate(user: Any, submission: Submission) -> bool:
    return public_comments_recent(user, submission.workshop) < PUBLIC_COMMENT_RATE


# --- named permissions -------------------------------------------------------------------

# The committee's side of a workshop (object: the workshop).
rules.add_perm("reviews.edit_profile", is_committee)
# One's publications, the expertise profile (object: the person who owns them).
rules.add_perm("reviews.edit_publications", is_publication_owner)
# The bidding list (object: the workshop), and one paper in it (object: the paper): never a
# paper the member is in conflict with (their own "in conflict" bid aside).
rules.add_perm("reviews.view_bidding", is_committee & is_biddable)
# A bid on one paper (object: the paper), or bidding at all (object: the workshop): in the
# window only.
rules.add_perm("reviews.bid", is_committee & is_biddable & while_bidding_open)
# The paper in review tools: the chairs, and its reviewers and area chair without conflict.
rules.add_perm(
    "reviews.view_paper",
    is_in_review & (is_chair | is_paper_reviewer | is_paper_area_chair | is_paper_external),
)
# Rule 5 and 9: the other reviews of a paper.
rules.add_perm(
    "reviews.see_other_reviews",
    is_in_review
    & (
        is_chair
        | is_paper_area_chair
        | (is_paper_reviewer & others_visible_by_setting)
        | external_joins_discussion
    ),
)
# One review (object: the review): drafts only by their writer and the chairs.
rules.add_perm(
    "reviews.see_review",
    is_review_writer | is_chair | (is_submitted_review & sees_other_reviews_of_its_paper),
)
# Answers to chairs-only questions (confidential comments) (object: the workshop or paper).
rules.add_perm("reviews.see_chairs_only_answers", is_chair)
# Flags on reviews and comments (issue 26: canaries, near copies, empty reviews) (object:
# the workshop or a paper): the chairs only; a reviewer never learns their review was
# flagged, an author never sees a flag.
rules.add_perm("reviews.view_review_flags", is_chair)
# Write or update one's review (object: the assignment); chairs may correct any review.
rules.add_perm("reviews.write_review", (is_assignment_reviewer & while_reviews_writable) | is_chair)
# Decline an assigned paper before reviewing it (object: the assignment).
rules.add_perm("reviews.decline", is_assignment_reviewer & review_not_submitted)
# The discussion thread (object: the paper).
rules.add_perm(
    "reviews.discuss",
    is_in_review
    & (is_chair | is_paper_area_chair | has_submitted_review | external_joins_discussion),
)
# Meta-reviews (object: the paper): the area chair's locks once decisions are out (chairs
# may still correct it).
rules.add_perm(
    "reviews.write_meta_review",
    is_in_review & (is_chair | (is_paper_area_chair & ~decisions_out)),
)
rules.add_perm("reviews.see_meta_review", is_chair | is_paper_area_chair)
# The area chairs' console (object: the workshop): their own papers of the workshop.
rules.add_perm("reviews.view_area_chair_console", is_area_chair_member)
# Remind the late reviewers of one paper (object: the paper): its area chair and the chairs.
rules.add_perm("reviews.remind_paper_reviewers", is_in_review & (is_chair | is_paper_area_chair))
# Authors: released reviews, and the response window (object: the paper).
rules.add_perm("reviews.read_released", is_chair | (is_author & reviews_out))
rules.add_perm("reviews.respond", is_author & while_rebuttal_open)
# Chairs' tools (object: the workshop, or a paper where it concerns one).
rules.add_perm("reviews.manage_committee", is_chair)
rules.add_perm("reviews.set_conflict", is_chair)
rules.add_perm("reviews.assign", is_chair)
rules.add_perm("reviews.view_progress", is_chair)
rules.add_perm("reviews.remind", is_chair)
rules.add_perm("reviews.edit_form", is_chair)
# Decisions.
# A track chair decides their track's papers (object: the workshop, to enter the desk, or
# a paper).
rules.add_perm("decisions.decide", is_chair_of_paper)
rules.add_perm("decisions.compose_mails", is_chair)
rules.add_perm("decisions.release", is_chair)
rules.add_perm("decisions.release_reviews", is_chair)
rules.add_perm("decisions.see", is_chair_of_paper | (is_author & decisions_out))
# Open reviewing (issue 14). The public forum of a paper, or a workshop's index and feed of
# forums: per the workshop's openness policy, once decisions and reviews are released.
rules.add_perm("reviews.view_public_forum", is_forum_published)
# The authors' names on the public forum: accepted papers only, decisions out.
rules.add_perm("reviews.see_public_authors", is_forum_published & authors_named_publicly)
# Post a public comment (held for moderation): a signed-in person, on a published forum,
# within the rate limit.
rules.add_perm(
    "reviews.comment_publicly",
    is_signed_in_person & is_forum_published & within_public_comment_rate,
)
# Approve or reject public comments (object: the workshop, a paper or a comment).
rules.add_perm("reviews.moderate_public_comments", is_chair)

# Review rounds and response rounds (issue 27): their own module, registered here.
from . import permissions_rounds  # noqa: E402, F401
