"""The submissions policy: who may do what to a paper, and while which window is open.

Identity predicates (author, contact author), phase predicates (edits, supplementary
material, camera-ready) and the named permissions built from them, registered with
django-rules and asked through `workshop.policy` by views, templates (`{% can %}`), the
admin, services and tasks. Nothing else in the project decides these questions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import rules
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from workshop.models import User, Workshop
from workshop.permissions import (
    is_authenticated,
    is_chair,
    is_chair_of_paper,
    is_committee,
    is_person,
)
from workshop.phases import accepts_until, call_is_open

from .models import DECIDABLE, IN_REVIEW, Submission


def verified_emails(user: User | AnonymousUser) -> frozenset[str]:
    """The user's verified addresses, lower-cased; cached on the user for the request."""
    if not is_person(user):
        return frozenset()
    cached = user.__dict__.get("_verified_emails")
    if cached is None:
        from allauth.account.models import EmailAddress

        cached = frozenset(
            e.lower()
            for e in EmailAddress.objects.filter(user=user, verified=True).values_list(
                "email", flat=True
            )
        )
        user.__dict__["_verified_emails"] = cached
    return cached


def _author_rows(user: User | AnonymousUser, submission: Submission) -> list:
    emails = verified_emails(user)
    if not emails:
        return []
    return [a for a in submission.authors.all() if a.email in emails]


# --- identity ---------------------------------------------------------------------------


@rules.predicate
def is_author(user: User | AnonymousUser, submission: Submission) -> bool:
    return bool(_author_rows(user, submission))


@rules.predicate
def is_contact_author(user: User | AnonymousUser, submission: Submission) -> bool:
    return any(a.is_contact for a in _author_rows(user, submission))


# --- phases (the server's clock, at the moment of asking) --------------------------------


def is_registered_in_time(submission: Submission) -> bool:
    """With an abstract deadline, a paper must have been registered by it (grace included)."""
    w = submission.workshop
    if w.abstract_deadline is None:
        return True
    return submission.registered_at is not None and accepts_until(
        w.abstract_deadline, w, submission.registered_at
    )


def edits_open(submission: Submission, now: dt.datetime | None = None) -> bool:
    """Metadata, authors and the paper PDF: until the paper deadline (plus grace)."""
    now = now or timezone.now()
    w = submission.workshop
    if not submission.is_in_progress:
        return False
    if not accepts_until(w.paper_deadline, w, now):
        return False
    if w.abstract_deadline and not accepts_until(w.abstract_deadline, w, now):
        return is_registered_in_time(submission)
    return True


def supplementary_open(submission: Submission, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    w = submission.workshop
    deadline = w.supplementary_deadline or w.paper_deadline
    if not submission.is_in_progress:
        return False
    abstracts_closed = w.abstract_deadline and not accepts_until(w.abstract_deadline, w, now)
    if abstracts_closed and not is_registered_in_time(submission):
        return False
    return accepts_until(deadline, w, now)


def camera_ready_open(submission: Submission, now: dt.datetime | None = None) -> bool:
    """Accepted papers, once decisions are out, until the camera-ready deadline."""
    w = submission.workshop
    return (
        submission.is_accepted
        and w.decisions_released
        and w.camera_ready_deadline is not None
        and accepts_until(w.camera_ready_deadline, w, now or timezone.now())
    )


def page_limit_for(submission: Submission) -> int:
    """The page limit of the paper's type (or of the workshop)."""
    stype = submission.submission_type
    return stype.page_limit if stype else submission.workshop.page_limit


def camera_ready_page_limit(submission: Submission) -> int:
    stype = submission.submission_type
    if stype and stype.camera_ready_page_limit:
        return stype.camera_ready_page_limit
    return page_limit_for(submission) + 1


@rules.predicate
def while_call_open(_user: object, workshop: Workshop) -> bool:
    return call_is_open(workshop)


@rules.predicate
def while_edits_open(_user: object, submission: Submission) -> bool:
    return edits_open(submission)


@rules.predicate
def while_supplementary_open(_user: object, submission: Submission) -> bool:
    return supplementary_open(submission)


@rules.predicate
def while_camera_ready_open(_user: object, submission: Submission) -> bool:
    return camera_ready_open(submission)


@rules.predicate
def is_undecided(_user: object, submission: Submission) -> bool:
    """Neither decided nor withdrawn: a draft or a submitted paper."""
    return submission.is_in_progress


@rules.predicate
def is_withdrawn(_user: object, submission: Submission) -> bool:
    return submission.is_withdrawn


@rules.predicate
def is_accepted(_user: object, submission: Submission) -> bool:
    return submission.is_accepted


@rules.predicate
def is_decidable(_user: object, submission: Submission) -> bool:
    return submission.status in DECIDABLE


@rules.predicate
def is_in_review(_user: object, submission: Submission) -> bool:
    """In the review tools (`IN_REVIEW`): submitted, accepted or rejected after review."""
    return submission.status in IN_REVIEW


@rules.predicate
def reviews_unseen(_user: object, submission: Submission) -> bool:
    """No author has opened the released reviews yet (`Submission.reviews_seen_at`)."""
    return submission.reviews_seen_at is None


@rules.predicate
def withdraw_anytime(_user: object, submission: Submission) -> bool:
    """The workshop lets authors withdraw whatever the paper's state (off by default)."""
    return submission.workshop.authors_withdraw_anytime


@rules.predicate
def withdrawn_by_authors(_user: object, submission: Submission) -> bool:
    return not submission.withdrawn_by_chair


@rules.predicate
def while_paper_call_open(_user: object, submission: Submission) -> bool:
    """The call for papers of the paper's workshop is open (new papers are taken)."""
    return call_is_open(submission.workshop)


@rules.predicate
def decisions_out(_user: object, obj: Submission | Workshop) -> bool:
    workshop = obj if isinstance(obj, Workshop) else obj.workshop
    return workshop.decisions_released


# --- named permissions -------------------------------------------------------------------

# Start a new paper in a workshop (object: the workshop).
rules.add_perm("submissions.create", is_authenticated & while_call_open)
# See the paper's author pages: its metadata, files, history (authors see their own).
rules.add_perm("submissions.view", is_author | is_chair_of_paper)  # a track chair: their track's
# Act for the paper as one of its contact authors (identity only: each action adds its window).
rules.add_perm("submissions.contact", is_contact_author)
# The paper still takes changes (its status and the paper deadline, whoever asks).
rules.add_perm("submissions.changes_open", while_edits_open)
# Change metadata, authors, the paper PDF; submit a draft.
rules.add_perm("submissions.edit", is_contact_author & while_edits_open)
rules.add_perm("submissions.submit", is_contact_author & while_edits_open)
rules.add_perm("submissions.declare_conflicts", is_contact_author & while_edits_open)
rules.add_perm("submissions.upload_supplementary", is_contact_author & while_supplementary_open)
# The withdraw ladder (HotCRP's): contact authors withdraw a draft or a submitted paper until
# they have read released reviews or a decision is set; after that only the chairs (unless
# the workshop lets authors withdraw anytime). Authors restore what they withdrew while the
# call is open; chairs restore anything.
rules.add_perm(
    "submissions.withdraw",
    ~is_withdrawn
    & (is_chair | (is_contact_author & ((is_undecided & reviews_unseen) | withdraw_anytime))),
)
rules.add_perm(
    "submissions.restore",
    is_withdrawn & (is_chair | (is_contact_author & withdrawn_by_authors & while_paper_call_open)),
)
# The final version and its licence.
rules.add_perm("submissions.camera_ready", is_contact_author & while_camera_ready_open)
# What the deep check found in a file, including hidden-text findings (chairs only).
rules.add_perm("submissions.view_check_findings", is_chair)
# Record the outcome of a decision on the paper's status.
# A track chair sets the outcome of their track's papers (issue 27: through their decisions).
rules.add_perm("submissions.set_outcome", is_chair_of_paper & is_decidable)
# The public page of an accepted paper (and its camera-ready PDF), once decisions are out.
rules.add_perm("submissions.view_public", is_accepted & decisions_out)
# The public list of a workshop's accepted papers (object: the workshop).
rules.add_perm("submissions.view_accepted", decisions_out)
# Build and download the proceedings bundle (object: the workshop).
rules.add_perm("submissions.build_proceedings", is_chair)


# --- custom submission fields (issue 27) ---------------------------------------------------


def field_window_open(field: Any, submission: Submission, now: dt.datetime | None = None) -> bool:
    """The authors may still change their answer to `field`: until its milestone (grace
    included). Until the abstract deadline means the call's window, until the paper or the
    supplementary deadline the paper's own windows, until the camera-ready deadline the
    paper's windows and then the camera-ready window of an accepted paper."""
    from .models import FieldMilestone

    now = now or timezone.now()
    w = submission.workshop
    until = field.editable_until
    if until == FieldMilestone.ABSTRACT:
        return submission.is_in_progress and call_is_open(w, now)
    if until == FieldMilestone.SUPPLEMENTARY:
        return supplementary_open(submission, now)
    if until == FieldMilestone.CAMERA_READY:
        return edits_open(submission, now) or camera_ready_open(submission, now)
    return edits_open(submission, now)


@rules.predicate
def while_field_open(_user: object, value: Any) -> bool:
    """Object: a `SubmissionFieldValue` (saved or not) naming the paper and the field."""
    return field_window_open(value.field, value.submission)


@rules.predicate
def is_contact_author_of_value(user: User | AnonymousUser, value: Any) -> bool:
    return is_contact_author(user, value.submission)


@rules.predicate
def field_for_reviewers(_user: object, field: Any) -> bool:
    """Reviewers read the answers (a reviewers' or a public field) unless the field may
    identify the authors and the workshop is double-blind."""
    from .models import FieldVisibility

    if field.visibility == FieldVisibility.CHAIRS:
        return False
    return not (field.identifying and field.workshop.is_double_blind)


@rules.predicate
def field_is_public(_user: object, field: Any) -> bool:
    from .models import FieldVisibility

    return field.visibility == FieldVisibility.PUBLIC


# Define the workshop's custom fields in the chair tools (object: the workshop or a field).
rules.add_perm("submissions.manage_fields", is_chair)
# Read a field's answers in the review tools (object: the field): the chairs every field;
# the committee (on the papers they may see) reviewers' and public fields, not identifying
# ones under double-blind.
rules.add_perm("submissions.view_field_in_review", is_chair | (is_committee & field_for_reviewers))
# Read a field's answers on the public page of an accepted paper (object: the field).
rules.add_perm("submissions.view_field_public", field_is_public)
# Answer a field (object: the paper's `SubmissionFieldValue`, saved or not): a contact
# author, until the field's milestone.
rules.add_perm("submissions.answer_field", is_contact_author_of_value & while_field_open)
