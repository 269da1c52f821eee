"""The form fuzzer's world: the demo (`seed_demo`: four workshops in call, bidding, reviewing
and decided phases, with committee, papers, bids, reviews, decisions and a published
programme), plus an administrator, a pending invitation whose links are known, an API token
and a publication per committee member, so that every route of the project has something to
open for each role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.management import call_command
from django.utils import timezone

from api.selectors import token_workshops_for
from api.services import token_create
from reviews.models import Invitation, Publication, token_hash
from tests.factories import PASSWORD, UserFactory
from workshop.demo import DECIDED, IN_REVIEW, MAIN, REVIEWING
from workshop.models import Openness, User, Workshop

# The roles the fuzzer acts as, each mapped to a demo account (None: signed out).
ROLE_EMAILS: dict[str, str | None] = {
    "anonymous": None,
    "author": "author1@example.org",
    "reviewer": "reviewer1@example.org",
    "area_chair": "ac@example.org",
    "chair": "chair@example.org",
    "admin": "fuzz-admin@example.org",
}
INVITATION_ACCEPT = "fuzz-accept-token"
INVITATION_DECLINE = "fuzz-decline-token"


@dataclass
class FuzzWorld:
    users: dict[str, User | None]
    workshops: list[Workshop]  # demo workshops in phase order: call, bidding, reviewing, decided
    foreign: Workshop  # a workshop none of the roles takes part in: its ids are "other ids"
    foreign_ids: list[int] = field(default_factory=list)


def build_fuzz_world() -> FuzzWorld:
    call_command("seed_demo", stdout=_Null())
    workshops = [Workshop.objects.get(slug=spec.slug) for spec in (MAIN, REVIEWING, IN_REVIEW,
                                                                    DECIDED)]  # fmt: skip
    # Open reviewing on the decided workshop: its forums and their comment forms exist.
    Workshop.objects.filter(pk=workshops[3].pk).update(openness=Openness.ALL)
    UserFactory(email=ROLE_EMAILS["admin"], name="Fuzz Admin", is_staff=True, is_superuser=True)
    users = {
        role: (User.objects.get(email=email) if email else None)
        for role, email in ROLE_EMAILS.items()
    }
    chair = users["chair"]
    Invitation.objects.create(
        workshop=workshops[0], email="invitee@example.org", name="In Vitee",
        accept_hash=token_hash(INVITATION_ACCEPT), decline_hash=token_hash(INVITATION_DECLINE),
        expires_at=timezone.now() + dt.timedelta(days=7), invited_by=chair,
    )  # fmt: skip
    for role in ("author", "reviewer", "area_chair", "chair"):
        user = users[role]
        token_create(user=user, name=f"{role} script", scope="read-write",
                     workshops=list(token_workshops_for(user)))  # fmt: skip
    for role in ("reviewer", "area_chair"):
        Publication.objects.create(user=users[role], title=f"A paper by the {role}", year=2024,
                                   authors=[users[role].name])  # fmt: skip
    foreign = _foreign_workshop()
    return FuzzWorld(
        users=users, workshops=workshops, foreign=foreign, foreign_ids=_foreign_ids(foreign)
    )


def _foreign_workshop() -> Workshop:
    """A workshop of strangers with a paper, a topic, a session: ids none of the roles owns."""
    from programme.models import Session, SessionKind
    from submissions.models import Authorship, Submission, SubmissionStatus
    from tests.factories import TopicFactory, WorkshopFactory, make_chair

    foreign = WorkshopFactory(slug="fuzz-foreign", short_name="FOREIGN")
    stranger_chair = make_chair(foreign)
    TopicFactory(workshop=foreign)
    for number in (1, 2):
        paper = Submission.objects.create(
            workshop=foreign, number=number, title=f"Foreign paper {number}",
            status=SubmissionStatus.SUBMITTED, created_by=stranger_chair, abstract="Foreign.",
        )  # fmt: skip
        Authorship.objects.create(submission=paper, position=1, name=stranger_chair.name,
                                  email=stranger_chair.email, is_contact=True)  # fmt: skip
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=40)
    Session.objects.create(workshop=foreign, kind=SessionKind.ORAL, title="Foreign session",
                           starts_at=start, ends_at=start + dt.timedelta(hours=1))  # fmt: skip
    return foreign


def _foreign_ids(foreign: Workshop) -> list[int]:
    from programme.models import Session
    from submissions.models import Submission
    from workshop.models import Membership, Topic

    ids: set[int] = set()
    for model in (Submission, Topic, Session, Membership):
        ids.update(model.objects.filter(workshop=foreign).values_list("pk", flat=True))
    ids.update(foreign.memberships.values_list("user_id", flat=True))
    return sorted(ids)


class _Null:
    def write(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass


__all__ = ["PASSWORD", "ROLE_EMAILS", "FuzzWorld", "build_fuzz_world"]
