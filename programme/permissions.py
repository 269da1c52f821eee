"""The programme's named permissions (sessions, speakers, presenters).

Objects: the workshop (`programme.manage`, `programme.view`) or an accepted paper (the
rest). A paper's presenters are its placement's presenter and its contact authors; they see
their slot, confirm attendance and upload slides or a poster once the programme is
published, until the presenter upload deadline.
"""

from __future__ import annotations

from typing import Any

import rules
from django.utils import timezone

from submissions.models import Submission
from submissions.permissions import decisions_out, is_accepted, is_author, is_contact_author
from workshop.models import Workshop
from workshop.permissions import is_chair, is_person

from .models import Placement, ProgrammeSettings


def programme_settings_of(workshop: Workshop) -> ProgrammeSettings | None:
    """The workshop's programme settings row (cached on the workshop), or None."""
    try:
        return workshop.programme_settings
    except ProgrammeSettings.DoesNotExist:
        return None


def placement_of(submission: Submission) -> Placement | None:
    """The paper's placement (cached on the paper by Django), or None."""
    try:
        return submission.placement
    except Placement.DoesNotExist:
        return None


def uploads_open(workshop: Workshop, now: Any = None) -> bool:
    """Presenters act until the upload deadline (none set: open)."""
    found = programme_settings_of(workshop)
    if found is None or found.upload_deadline is None:
        return True
    return (now or timezone.now()) <= found.upload_deadline + workshop.grace


def _workshop(obj: Workshop | Submission) -> Workshop:
    return obj if isinstance(obj, Workshop) else obj.workshop


@rules.predicate
def is_published(_user: object, obj: Workshop | Submission) -> bool:
    found = programme_settings_of(_workshop(obj))
    return found is not None and found.published


@rules.predicate
def is_placed(_user: object, submission: Submission) -> bool:
    return placement_of(submission) is not None


@rules.predicate
def is_named_presenter(user: Any, submission: Submission) -> bool:
    placement = placement_of(submission)
    return (
        is_person(user)
        and placement is not None
        and placement.presenter_id is not None
        and placement.presenter_id == user.pk
    )


@rules.predicate
def while_uploads_open(_user: object, submission: Submission) -> bool:
    return uploads_open(submission.workshop)


is_presenter = is_named_presenter | is_contact_author
on_the_programme = is_accepted & decisions_out & is_placed

# Build the programme: settings, sessions, speakers, placements, publishing (object: workshop).
rules.add_perm("programme.manage", is_chair)
# The public programme, its speakers and feeds: anyone once published, the chairs before.
rules.add_perm("programme.view", is_chair | is_published)
# Place an accepted paper (decisions out) into a session.
rules.add_perm("programme.place", is_chair & is_accepted & decisions_out)
# A placed paper's slot page: the chairs, and its authors once the programme is published.
rules.add_perm("programme.view_slot", on_the_programme & (is_chair | (is_author & is_published)))
# Presenters (named presenter or contact authors) confirm and upload, until the deadline.
rules.add_perm(
    "programme.confirm_attendance",
    on_the_programme & is_published & is_presenter & while_uploads_open,
)
rules.add_perm(
    "programme.upload_material",
    on_the_programme & is_published & is_presenter & while_uploads_open,
)
# Name which author presents (default: the contact authors): the chairs, or the contact
# authors while presenters can still act.
rules.add_perm(
    "programme.choose_presenter",
    on_the_programme & (is_chair | (is_published & is_contact_author & while_uploads_open)),
)
