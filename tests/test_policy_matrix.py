"""The policy matrix: every named permission x every role x every phase where it changes.

One world, built once for the module (and rolled back at its end): workshop A with its
chair, the area chair of paper P, reviewers R1 (submitted review of P) and R2 (draft), a
reviewer of A with no paper, a reviewer assigned to P on whom the chair set a conflict,
P's contact author and a (non-contact, verified) co-author, the author of another paper Q;
the chair of another workshop B; and nobody signed in. W is a paper of P's author that was
withdrawn. The people and their work stay as they are; only the clock (the milestones are
moved so that "now" falls in each phase), the two release switches and P's outcome move.

The table below is the specification. Every cell is asserted through the policy
(`workshop.policy.can(user, perm, obj)`), and, for the permissions a route enforces, the
same cell is asserted through that route (a GET or POST as that role, in that phase).

Cells:
  yes        allowed in every phase
  .          refused in every phase
  sbr...     allowed in exactly the phases named by these letters, refused in the others

Phases (letter: the phase, its "now" on a timeline whose call opens on day 0):
  s  submission     day 5   the call is open (paper deadline day 10, supplementary day 12)
  b  bidding        day 13  papers in, bidding until day 15
  r  reviewing      day 20  reviews due on day 30
  a  author resp.   day 34  reviews released; author response from day 32 to day 36
  d  discussion     day 38  discussion until day 40
  x  deciding       day 42  discussion over, decisions not released
  c  camera-ready   day 50  decisions released, P accepted, camera-ready due on day 60
  z  concluded      day 70  everything over
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from programme.models import Placement, ProgrammeSettings
from programme.models import Session as ProgrammeSession
from reviews.models import (
    Assignment,
    AuthorResponse,
    Bid,
    Comment,
    ConflictOverride,
    Decision,
    DecisionCategory,
    MetaReview,
    Outcome,
    Review,
    ReviewQuestion,
    ReviewStatus,
)
from reviews.services.reviewing import DEFAULT_FORM
from submissions.models import Authorship, Submission, SubmissionStatus, SubmissionType
from tests.factories import TopicFactory, UserFactory, WorkshopFactory
from workshop.models import Membership, OutgoingMail, Role, User, Workshop
from workshop.phases import Phase, current_phase
from workshop.policy import can, permission_names

# --- The specification ------------------------------------------------------------------------
# Objects: A = workshop A; P = paper P; W = the withdrawn paper; R1-rev / R2-rev = the reviews
# of R1 (submitted) and R2 (draft); R1-asg / R2-asg / cf-asg = the assignments to P of R1, R2
# and of the conflicted reviewer.
POLICY_TABLE = """
permission                       obj    |anon|chairA|chairB|AC    |R1    |R2    |unasg |confl|authP |coauP|authQ
workshop.manage                  A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
workshop.view_activity           A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
workshop.view_outbox             A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
workshop.send_mail               A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
workshop.manage_members          A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
submissions.create               A      |.   |s     |s     |s     |s     |s     |s     |s    |s     |s    |s
submissions.view                 P      |.   |yes   |.     |.     |.     |.     |.     |.    |yes   |yes  |.
submissions.contact              P      |.   |.     |.     |.     |.     |.     |.     |.    |yes   |.    |.
submissions.edit                 P      |.   |.     |.     |.     |.     |.     |.     |.    |s     |.    |.
submissions.submit               P      |.   |.     |.     |.     |.     |.     |.     |.    |s     |.    |.
submissions.changes_open         P      |s   |s     |s     |s     |s     |s     |s     |s    |s     |s    |s
submissions.declare_conflicts    P      |.   |.     |.     |.     |.     |.     |.     |.    |s     |.    |.
submissions.upload_supplementary P      |.   |.     |.     |.     |.     |.     |.     |.    |s     |.    |.
submissions.withdraw             P      |.   |yes   |.     |.     |.     |.     |.     |.    |sbradx|.    |.
submissions.restore              W      |.   |yes   |.     |.     |.     |.     |.     |.    |s     |.    |.
submissions.camera_ready         P      |.   |.     |.     |.     |.     |.     |.     |.    |c     |.    |.
submissions.view_check_findings  P      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
submissions.set_outcome          P      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
submissions.view_public          P      |cz  |cz    |cz    |cz    |cz    |cz    |cz    |cz   |cz    |cz   |cz
submissions.view_accepted        A      |cz  |cz    |cz    |cz    |cz    |cz    |cz    |cz   |cz    |cz   |cz
submissions.build_proceedings    A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.edit_profile             A      |.   |.     |.     |yes   |yes   |yes   |yes   |yes  |.     |.    |.
reviews.edit_publications        R1-usr |.   |.     |.     |.     |yes   |.     |.     |.    |.     |.    |.
reviews.view_bidding             A      |.   |.     |.     |yes   |yes   |yes   |yes   |yes  |.     |.    |.
reviews.view_bidding             P      |.   |.     |.     |sbradx|sbradx|sbradx|sbradx|.    |.     |.    |.
reviews.bid                      P      |.   |.     |.     |b     |b     |b     |b     |.    |.     |.    |.
reviews.bid                      A      |.   |.     |.     |b     |b     |b     |b     |b    |.     |.    |.
reviews.view_paper               P      |.   |yes   |.     |yes   |yes   |yes   |.     |.    |.     |.    |.
reviews.see_other_reviews        P      |.   |yes   |.     |yes   |yes   |.     |.     |.    |.     |.    |.
reviews.see_review               R1-rev |.   |yes   |.     |yes   |yes   |.     |.     |.    |.     |.    |.
reviews.see_review               R2-rev |.   |yes   |.     |.     |.     |yes   |.     |.    |.     |.    |.
reviews.see_chairs_only_answers  P      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.write_review             R1-asg |.   |yes   |.     |.     |sbrad |.     |.     |.    |.     |.    |.
reviews.write_review             R2-asg |.   |yes   |.     |.     |.     |sbr   |.     |.    |.     |.    |.
reviews.write_review             cf-asg |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.decline                  R1-asg |.   |.     |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.decline                  R2-asg |.   |.     |.     |.     |.     |yes   |.     |.    |.     |.    |.
reviews.decline                  cf-asg |.   |.     |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.discuss                  P      |.   |yes   |.     |yes   |yes   |.     |.     |.    |.     |.    |.
reviews.write_meta_review        P      |.   |yes   |.     |sbradx|.     |.     |.     |.    |.     |.    |.
reviews.see_meta_review          P      |.   |yes   |.     |yes   |.     |.     |.     |.    |.     |.    |.
reviews.view_area_chair_console  A      |.   |.     |.     |yes   |.     |.     |.     |.    |.     |.    |.
reviews.remind_paper_reviewers   P      |.   |yes   |.     |yes   |.     |.     |.     |.    |.     |.    |.
reviews.read_released            P      |.   |yes   |.     |.     |.     |.     |.     |.    |adxcz |adxcz|.
reviews.respond                  P      |.   |.     |.     |.     |.     |.     |.     |.    |a     |a    |.
reviews.manage_committee         A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.set_conflict             A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.assign                   A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.view_progress            A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.remind                   A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.edit_form                A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
decisions.decide                 A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
decisions.compose_mails          A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
decisions.release                A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
decisions.release_reviews        A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
decisions.see                    P      |.   |yes   |.     |.     |.     |.     |.     |.    |cz    |cz   |.
reviews.view_public_forum        A      |cz  |cz    |cz    |cz    |cz    |cz    |cz    |cz   |cz    |cz   |cz
reviews.view_public_forum        P      |cz  |cz    |cz    |cz    |cz    |cz    |cz    |cz   |cz    |cz   |cz
reviews.see_public_authors       P      |cz  |cz    |cz    |cz    |cz    |cz    |cz    |cz   |cz    |cz   |cz
reviews.comment_publicly         P      |.   |cz    |cz    |cz    |cz    |cz    |cz    |cz   |cz    |cz   |cz
reviews.moderate_public_comments A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
programme.manage                 A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
programme.view                   A      |yes |yes   |yes   |yes   |yes   |yes   |yes   |yes  |yes   |yes  |yes
programme.place                  P      |.   |cz    |.     |.     |.     |.     |.     |.    |.     |.    |.
programme.view_slot              P      |.   |cz    |.     |.     |.     |.     |.     |.    |cz    |cz   |.
programme.confirm_attendance     P      |.   |.     |.     |.     |.     |.     |.     |.    |cz    |.    |.
programme.upload_material        P      |.   |.     |.     |.     |.     |.     |.     |.    |cz    |.    |.
programme.choose_presenter       P      |.   |cz    |.     |.     |.     |.     |.     |.    |cz    |.    |.
transfer.import                  A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
transfer.export                  A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
transfer.restore                 A      |.   |.     |.     |.     |.     |.     |.     |.    |.     |.    |.
"""  # noqa: E501

PHASES = "sbradxcz"
PHASE_NAMES = {
    "s": "submission",
    "b": "bidding",
    "r": "reviewing",
    "a": "author-response",
    "d": "discussion",
    "x": "deciding",
    "c": "camera-ready",
    "z": "concluded",
}
EVERY_PHASE = "every-phase"
# The table's short column names -> the readable role names used in test ids.
ROLE_NAMES = {
    "anon": "anonymous",
    "chairA": "chair-A",
    "chairB": "chair-B",
    "AC": "AC-of-P",
    "R1": "R1-submitted",
    "R2": "R2-draft",
    "unasg": "unassigned",
    "confl": "conflicted",
    "authP": "author-P",
    "coauP": "coauthor-P",
    "authQ": "author-Q",
}
ROLES = tuple(ROLE_NAMES.values())
OBJECTS = ("A", "P", "W", "R1-rev", "R2-rev", "R1-asg", "R2-asg", "cf-asg", "R1-usr")


def _parse(table: str) -> dict[tuple[str, str], dict[str, str]]:
    """{(permission, object): {role: the phases (letters) in which it is allowed}}."""
    lines = [line for line in table.strip().splitlines() if line.strip()]
    header = [ROLE_NAMES[c.strip()] for c in lines[0].split("|")[1:]]
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in lines[1:]:
        head, *cells = [c.strip() for c in line.split("|")]
        perm, obj = head.split()
        assert obj in OBJECTS, line
        assert (perm, obj) not in rows, f"twice: {perm} {obj}"
        assert len(cells) == len(header), line
        row = {}
        for role, cell in zip(header, cells, strict=True):
            phases = {"yes": PHASES, ".": ""}.get(cell, cell)
            assert set(phases) <= set(PHASES) and phases == "".join(
                p for p in PHASES if p in phases
            ), f"{perm} {obj} {role}: {cell!r}"
            row[role] = phases
        rows[(perm, obj)] = row
    return rows


MATRIX = _parse(POLICY_TABLE)


def allowed(perm: str, obj: str, role: str, phase: str) -> bool:
    return phase in MATRIX[(perm, obj)][role]


def row_label(perm: str, obj: str) -> str:
    """The permission, with its object when the permission has several rows."""
    return perm if sum(p == perm for p, _ in MATRIX) == 1 else f"{perm}[{obj}]"


# --- The clock --------------------------------------------------------------------------------
TIMELINE = {  # day of each milestone
    "submission_opens": 0,
    "paper_deadline": 10,
    "supplementary_deadline": 12,
    "bidding_deadline": 15,
    "review_deadline": 30,
    "rebuttal_opens": 32,
    "rebuttal_closes": 36,
    "discussion_ends": 40,
    "notification_date": 45,
    "camera_ready_deadline": 60,
}
PHASE_DAY = {"s": 5, "b": 13, "r": 20, "a": 34, "d": 38, "x": 42, "c": 50, "z": 70}
EXPECTED_PHASE = {
    "s": Phase.SUBMISSION,
    "b": Phase.BIDDING,
    "r": Phase.REVIEWING,
    "a": Phase.REBUTTAL,
    "d": Phase.DISCUSSION,
    "x": Phase.DECISION,
    "c": Phase.CAMERA_READY,
    "z": Phase.CONCLUDED,
}


# --- The world --------------------------------------------------------------------------------
@dataclass
class World:
    a: Workshop
    b: Workshop
    p: Submission
    q: Submission
    w: Submission
    users: dict[str, int | None]
    assignments: dict[str, int]
    reviews: dict[str, int]
    questions: list[ReviewQuestion]
    accept: DecisionCategory
    extra: dict[str, Any] = field(default_factory=dict)


def _member(workshop: Workshop, role: str, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(workshop=workshop, user=user, role=role)
    if role == Role.CHAIR:
        User.objects.filter(pk=user.pk).update(is_staff=True)
    return user


def _paper(workshop: Workshop, number: int, by: User, status: str, **fields: Any) -> Submission:
    return Submission.objects.create(
        workshop=workshop,
        number=number,
        title=f"ZQMATRIX paper {number}",
        abstract="An abstract.",
        status=status,
        created_by=by,
        submission_type=SubmissionType.objects.get(workshop=workshop),
        primary_topic=workshop.topics.first(),
        submitted_at=timezone.now(),
        registered_at=timezone.now(),
        **fields,
    )


def _author(submission: Submission, user: User, position: int, *, contact: bool) -> None:
    Authorship.objects.create(submission=submission, position=position, name=user.name,
                              email=user.email, is_contact=contact)  # fmt: skip


def build_world() -> World:
    # Open reviewing for accepted papers (issue 14): P's forum is public once it is accepted
    # and both releases are out.
    a = WorkshopFactory(name="Matrix Alpha", short_name="MXA", slug="mx-alpha", openness="accepted")
    b = WorkshopFactory(name="Matrix Beta", short_name="MXB", slug="mx-beta")
    for workshop in (a, b):
        TopicFactory(workshop=workshop, name="Evaluation")
        SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    users: dict[str, User] = {
        "chair-A": _member(a, Role.CHAIR),
        "chair-B": _member(b, Role.CHAIR),
        "AC-of-P": _member(a, Role.AREA_CHAIR),
        "R1-submitted": _member(a, Role.REVIEWER),
        "R2-draft": _member(a, Role.REVIEWER),
        "unassigned": _member(a, Role.REVIEWER),
        "conflicted": _member(a, Role.REVIEWER),
        "author-P": UserFactory(),
        "coauthor-P": UserFactory(),
        "author-Q": UserFactory(),
    }
    assert EmailAddress.objects.filter(user=users["coauthor-P"], verified=True).exists()
    p = _paper(a, 1, users["author-P"], SubmissionStatus.SUBMITTED)
    q = _paper(a, 2, users["author-Q"], SubmissionStatus.SUBMITTED)
    w = _paper(a, 3, users["author-P"], SubmissionStatus.WITHDRAWN,
               status_before_withdrawal=SubmissionStatus.SUBMITTED,
               withdrawn_at=timezone.now())  # fmt: skip
    _author(p, users["author-P"], 1, contact=True)
    _author(p, users["coauthor-P"], 2, contact=False)
    _author(q, users["author-Q"], 1, contact=True)
    _author(w, users["author-P"], 1, contact=True)

    questions = [
        ReviewQuestion.objects.create(workshop=a, label=label, help_text=help_text, kind=kind,
                                      choices=choices, required=required, visibility=visibility,
                                      order=i, **flags)
        for i, (label, help_text, kind, choices, required, visibility, flags) in enumerate(
            DEFAULT_FORM, start=1)
    ]  # fmt: skip

    def assign(key: str, role: str = Role.REVIEWER, pseudonym: str = "") -> Assignment:
        return Assignment.objects.create(
            submission=p, reviewer=users[key], role=role, pseudonym=pseudonym,
            created_by=users["chair-A"],
        )  # fmt: skip

    assignments = {
        "R1-asg": assign("R1-submitted", pseudonym="A"),
        "R2-asg": assign("R2-draft", pseudonym="B"),
        "cf-asg": assign("conflicted", pseudonym="C"),
        "AC-asg": assign("AC-of-P", role=Role.AREA_CHAIR),
    }
    ConflictOverride.objects.create(submission=p, user=users["conflicted"], conflicted=True,
                                    reason="Former student", set_by=users["chair-A"])  # fmt: skip
    reviews = {
        "R1-rev": Review.objects.create(assignment=assignments["R1-asg"], version=1,
                                        status=ReviewStatus.SUBMITTED,
                                        submitted_at=timezone.now()),
        "R2-rev": Review.objects.create(assignment=assignments["R2-asg"],
                                        status=ReviewStatus.DRAFT),
    }  # fmt: skip
    accept = DecisionCategory.objects.create(workshop=a, name="Accept", outcome=Outcome.ACCEPT)
    # A's programme is published, P is placed in an oral session (its contact author presents).
    ProgrammeSettings.objects.create(workshop=a, published=True)
    now = timezone.now()
    talks = ProgrammeSession.objects.create(
        workshop=a, title="Talks", starts_at=now, ends_at=now + dt.timedelta(hours=1)
    )
    Placement.objects.create(session=talks, submission=p)
    return World(
        a=a,
        b=b,
        p=p,
        q=q,
        w=w,
        users={"anonymous": None, **{k: u.pk for k, u in users.items()}},
        assignments={k: x.pk for k, x in assignments.items()},
        reviews={k: r.pk for k, r in reviews.items()},
        questions=questions,
        accept=accept,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end; each
    test runs in its own savepoint inside it (pytest-django's `db`), so nothing leaks."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


def enter_phase(world: World, phase: str) -> None:
    """Move the milestones so that now falls in `phase`; set the switches and P's outcome."""
    now = timezone.now()
    shift = {k: now + dt.timedelta(days=day - PHASE_DAY[phase]) for k, day in TIMELINE.items()}
    Workshop.objects.filter(pk=world.a.pk).update(
        **shift,
        reviews_released=phase in "adxcz",
        decisions_released=phase in "cz",
    )
    status = SubmissionStatus.ACCEPTED if phase in "cz" else SubmissionStatus.SUBMITTED
    Submission.objects.filter(pk=world.p.pk).update(status=status)


def user_of(world: World, role: str) -> User | AnonymousUser:
    """A fresh instance: the policy caches roles and addresses on the user object."""
    pk = world.users[role]
    return AnonymousUser() if pk is None else User.objects.get(pk=pk)


def object_of(world: World, key: str) -> Any:
    """A fresh instance: the policy caches a paper's assignments and conflicts on it."""
    if key == "A":
        return Workshop.objects.get(pk=world.a.pk)
    if key in ("P", "W"):
        pk = world.p.pk if key == "P" else world.w.pk
        return Submission.objects.select_related("workshop").get(pk=pk)
    if key == "R1-usr":  # a person, as the owner of their publication list
        return User.objects.get(pk=world.users["R1-submitted"])
    if key.endswith("-rev"):
        return Review.objects.select_related("assignment__submission__workshop").get(
            pk=world.reviews[key]
        )
    return Assignment.objects.select_related("submission__workshop").get(pk=world.assignments[key])


# --- The table covers every named permission, every role, every phase -------------------------
def test_the_table_covers_every_named_permission_exactly():
    """A permission added to a policy module without a row here fails this test."""
    in_table = {perm for perm, _ in MATRIX}
    named = set(permission_names())
    assert not named - in_table, f"permissions without a row: {sorted(named - in_table)}"
    assert not in_table - named, f"rows for no permission: {sorted(in_table - named)}"
    assert all(set(row) == set(ROLES) for row in MATRIX.values())
    assert len(ROLES) == 11 and len(PHASES) == 8


@pytest.mark.django_db
@pytest.mark.parametrize("phase", PHASES, ids=[PHASE_NAMES[p] for p in PHASES])
def test_each_phase_of_the_clock_is_the_phase_it_names(world, phase):
    enter_phase(world, phase)
    assert current_phase(object_of(world, "A")) == EXPECTED_PHASE[phase]


# --- Through the policy -----------------------------------------------------------------------
def _policy_cases() -> list[Any]:
    """One case per (row, role): per phase where the role's cell names phases, else one case
    that walks every phase (the cell says the outcome never changes)."""
    cases = []
    for (perm, obj), row in MATRIX.items():
        for role in ROLES:
            label = row_label(perm, obj)
            if row[role] in ("", PHASES):
                cases.append(pytest.param(perm, obj, role, PHASES,
                                          id=f"{label}|{role}|{EVERY_PHASE}"))  # fmt: skip
            else:
                cases += [
                    pytest.param(perm, obj, role, p, id=f"{label}|{role}|{PHASE_NAMES[p]}")
                    for p in PHASES
                ]
    return cases


POLICY_CASES = _policy_cases()


@pytest.mark.django_db
@pytest.mark.parametrize(("perm", "obj", "role", "phases"), POLICY_CASES)
def test_policy(world, perm, obj, role, phases):
    for phase in phases:
        enter_phase(world, phase)
        expected = allowed(perm, obj, role, phase)
        got = can(user_of(world, role), perm, object_of(world, obj))
        assert got == expected, (
            f"{perm} on {obj} for {role} in {PHASE_NAMES[phase]}: "
            f"{'allowed' if got else 'refused'}, the table says "
            f"{'allowed' if expected else 'refused'}"
        )


# --- Through the HTTP routes ------------------------------------------------------------------
# Outcomes of a request, derived from the table:
#   ok       allowed: a GET answers 200; a POST has its effect (checked in the database)
#   refused  the role may see the object but not do this: 403, or a redirect that carries an
#            error message; nothing changes
#   404      the role may not know the object exists (its "visible" rows refuse); nothing changes
#   login    anonymous on a signed-in page: redirected to the sign-in page
#   admin    not staff on a chair tool: redirected to the admin's sign-in page
# On a chair tool, a staff member who is not a chair of A gets 404 (another workshop's id).

MARKER = "ZQMATRIXPOSTED"


@dataclass(frozen=True)
class Route:
    """How one route asks one permission (row) of the table."""

    perm: str
    obj: str
    method: str
    url: Callable[[World], str]
    data: Callable[[World], dict[str, str]] = lambda world: {}
    # Rows (permission, object[, phase]) that must all allow, in this phase or the one named,
    # for the object to be visible at all; without them, a refusal is a 404.
    visible: tuple[tuple[str, ...], ...] = ()
    # What changed after an allowed POST (compared before/after).
    effect: Callable[[World], object] = lambda world: None
    public: bool = False  # no sign-in needed
    admin: bool = False  # a chair tool in the admin
    # Per role, the object row the route acts on (the requester's own assignment): roles
    # without one get 404.
    own: dict[str, str] | None = None
    # A chair tool that takes many ids at once ignores those not on the chair's own board.
    ignores_foreign: bool = False
    # The phases to try: the first, and those where a cell of the row (or of its visible
    # rows) changes; a route that reads the clock itself may name more.
    phases: str | None = None


def _p_args(world: World) -> list[object]:
    return [world.a.slug, world.p.number]


def _answers(world: World) -> dict[str, str]:
    values = {"Summary": f"{MARKER} summary", "Strengths": "Sound.", "Weaknesses": "Small.",
              "Overall": "4", "Confidence": "3"}  # fmt: skip
    return {
        f"q_{q.pk}": values[q.label.split()[0]]
        for q in world.questions
        if q.label.split()[0] in values
    }


def _review_state(world: World) -> object:
    return sorted(
        Review.objects.filter(assignment__submission=world.p).values_list(
            "assignment_id", "status", "version"
        )
    )


OWN_ASSIGNMENT = {"R1-submitted": "R1-asg", "R2-draft": "R2-asg", "conflicted": "cf-asg"}
P_VISIBLE = (("reviews.view_paper", "P"),)
AUTHOR_VISIBLE = (("submissions.view", "P"),)

ROUTES = [
    Route("submissions.view", "P", "GET",
          lambda w: reverse("submissions:detail", args=[w.p.pk])),
    Route("submissions.edit", "P", "GET",
          lambda w: reverse("submissions:edit", args=[w.p.pk]), visible=AUTHOR_VISIBLE),
    Route("submissions.edit", "P", "POST",
          lambda w: reverse("submissions:edit", args=[w.p.pk]),
          data=lambda w: {"title": f"{MARKER} new title", "abstract": "A new abstract.",
                          "primary_topic": str(w.a.topics.first().pk),
                          "submission_type": str(w.p.submission_type_id), "llm_use": "none"},
          visible=AUTHOR_VISIBLE, effect=lambda w: Submission.objects.get(pk=w.p.pk).title),
    Route("submissions.withdraw", "P", "GET",
          lambda w: reverse("submissions:withdraw", args=[w.p.pk]), visible=AUTHOR_VISIBLE),
    Route("submissions.camera_ready", "P", "POST",
          lambda w: reverse("submissions:camera_ready", args=[w.p.pk]),
          data=lambda w: {"title": f"{MARKER} final", "abstract": "Final.", "keywords": "",
                          "licence": "CC-BY-4.0", "accept_terms": "on"},
          visible=(*AUTHOR_VISIBLE, ("submissions.view_public", "P")),
          effect=lambda w: Submission.objects.get(pk=w.p.pk).licence),
    Route("submissions.view_accepted", "A", "GET",
          lambda w: reverse("submissions:accepted", args=[w.a.slug]), public=True),
    Route("reviews.view_paper", "P", "GET", lambda w: reverse("reviews:paper", args=_p_args(w))),
    Route("reviews.bid", "P", "POST",
          lambda w: reverse("reviews:bid", args=[w.a.slug, w.p.pk]),
          data=lambda w: {"value": "eager"},
          # A conflicted reviewer must not learn that P exists (DESIGN 4, rule 4).
          visible=(("reviews.view_bidding", "P"),),
          effect=lambda w: sorted(Bid.objects.filter(submission=w.p)
                                  .values_list("user_id", "value"))),
    Route("reviews.write_review", "own", "POST",
          lambda w: reverse("reviews:submit", args=_p_args(w)), data=_answers,
          visible=P_VISIBLE, effect=_review_state, own=OWN_ASSIGNMENT),
    Route("reviews.decline", "own", "POST",
          lambda w: reverse("reviews:decline", args=_p_args(w)),
          data=lambda w: {"reason": f"{MARKER}: no time"}, visible=P_VISIBLE,
          effect=lambda w: sorted(Assignment.objects.filter(submission=w.p)
                                  .exclude(declined_at=None).values_list("pk", flat=True)),
          own=OWN_ASSIGNMENT),
    Route("reviews.discuss", "P", "POST", lambda w: reverse("reviews:comment", args=_p_args(w)),
          data=lambda w: {"body": f"{MARKER} in the discussion"}, visible=P_VISIBLE,
          effect=lambda w: Comment.objects.filter(submission=w.p).count()),
    Route("reviews.write_meta_review", "P", "POST",
          lambda w: reverse("reviews:meta", args=_p_args(w)),
          data=lambda w: {"recommendation": "accept", "text": f"{MARKER} meta"},
          visible=P_VISIBLE,
          effect=lambda w: list(MetaReview.objects.filter(submission=w.p).values_list("text"))),
    Route("reviews.read_released", "P", "GET",
          lambda w: reverse("author_reviews", args=[w.p.pk])),
    Route("reviews.respond", "P", "POST", lambda w: reverse("author_reviews", args=[w.p.pk]),
          data=lambda w: {"text": f"{MARKER} our answer", "review": ""},
          visible=(("reviews.read_released", "P"),),
          effect=lambda w: AuthorResponse.objects.filter(submission=w.p).count()),
    Route("workshop.manage", "A", "GET",
          lambda w: reverse("admin:workshop_workshop_change", args=[w.a.pk]), admin=True),
    Route("reviews.manage_committee", "A", "GET",
          lambda w: reverse("admin:reviews_committee", args=[w.a.pk]), admin=True),
    Route("reviews.assign", "A", "GET",
          lambda w: reverse("admin:reviews_assignment_add") + f"?workshop={w.a.pk}", admin=True),
    Route("reviews.view_progress", "A", "GET",
          lambda w: reverse("admin:reviews_progress", args=[w.a.pk]), admin=True),
    Route("reviews.remind", "A", "GET",
          lambda w: reverse("admin:reviews_reminders", args=[w.a.pk]), admin=True),
    Route("decisions.compose_mails", "A", "GET",
          lambda w: reverse("admin:reviews_decision_mails", args=[w.a.pk]), admin=True),
    Route("decisions.decide", "A", "POST", lambda w: reverse("admin:reviews_decisions_save"),
          data=lambda w: {f"decision-{w.p.pk}": str(w.accept.pk)}, admin=True,
          ignores_foreign=True,
          effect=lambda w: Decision.objects.filter(submission=w.p).count()),
    Route("decisions.release_reviews", "A", "POST",
          lambda w: reverse("admin:reviews_decision_mails", args=[w.a.pk]),
          data=lambda w: {"action": "release_reviews"}, admin=True, phases="r",
          effect=lambda w: Workshop.objects.get(pk=w.a.pk).reviews_released),
    Route("workshop.send_mail", "A", "POST",
          lambda w: reverse("admin:reviews_mail_compose", args=[w.a.pk]),
          data=lambda w: {"do": "hold", "recipients": "authors", "q": "", "token": "t" * 24,
                          "subject": f"{MARKER} news", "body": "Dear {name}"},
          admin=True,
          effect=lambda w: sorted(OutgoingMail.objects.filter(kind="chair_mail")
                                  .values_list("to", "status"))),
    Route("programme.manage", "A", "GET", lambda w: reverse("programme:edit", args=[w.a.slug]),
          visible=(("programme.view", "A"),)),
    Route("programme.view_slot", "P", "GET",
          lambda w: reverse("programme:paper", args=[w.a.slug, w.p.number])),
    Route("reviews.view_public_forum", "P", "GET",
          lambda w: reverse("forum:paper", args=[w.a.slug, w.p.number]), public=True),
    Route("reviews.comment_publicly", "P", "POST",
          lambda w: reverse("forum:comment", args=[w.a.slug, w.p.number]),
          data=lambda w: {"body": f"{MARKER} in public"},
          visible=(("reviews.view_public_forum", "P"),),
          effect=lambda w: w.p.public_comments.count()),
    Route("reviews.moderate_public_comments", "A", "GET",
          lambda w: reverse("forum:moderation", args=[w.a.slug])),
]  # fmt: skip
STAFF = ("chair-A", "chair-B")


def route_rows(route: Route) -> list[tuple[str, str, str | None]]:
    objects = sorted(set(route.own.values())) if route.own else [route.obj]
    return [(route.perm, o, None) for o in objects] + [
        (v[0], v[1], v[2] if len(v) > 2 else None) for v in route.visible
    ]


def route_phases(route: Route) -> str:
    """The first phase and every phase where a cell the route depends on changes; a route
    whose rows never change is tried while reviewing."""
    if route.phases:
        return route.phases

    def cells(phase: str) -> tuple[bool, ...]:
        return tuple(
            allowed(perm, obj, role, fixed or phase)
            for perm, obj, fixed in route_rows(route)
            for role in ROLES
        )

    changes = [p for prev, p in itertools.pairwise(PHASES) if cells(p) != cells(prev)]
    return "s" + "".join(changes) if changes else "r"


def expected_outcome(route: Route, role: str, phase: str) -> str:
    if role == "anonymous" and not route.public:
        return "admin" if route.admin else "login"
    if route.admin and role not in STAFF:
        return "admin"
    if route.own is not None:
        obj = route.own.get(role)
        ok = obj is not None and allowed(route.perm, obj, role, phase)
    else:
        obj = route.obj
        ok = allowed(route.perm, obj, role, phase)
    if ok:
        return "ok"
    if route.admin:
        return "ignored" if route.ignores_foreign and role != "chair-A" else "404"
    visible = (
        bool(route.visible)
        and obj is not None
        and all(allowed(v[0], v[1], role, v[2] if len(v) > 2 else phase) for v in route.visible)
    )
    return "refused" if visible else "404"


# Cases where a route does not agree with the policy: {test id: reason}. Empty: every route
# follows the policy (a case listed here would be a strict xfail).
XFAILS: dict[str, str] = {}


def route_label(route: Route) -> str:
    """The permission, with the method where the permission has routes for both."""
    both = {r.method for r in ROUTES if r.perm == route.perm} == {"GET", "POST"}
    return f"{route.perm}:{route.method}" if both else route.perm


def _http_cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        for phase in route_phases(route):
            for role in ROLES:
                case_id = f"{route_label(route)}|{role}|{PHASE_NAMES[phase]}"
                marks = (
                    [pytest.mark.xfail(strict=True, reason=XFAILS[case_id])]
                    if case_id in XFAILS
                    else []
                )
                cases.append(pytest.param(route, role, phase, id=case_id, marks=marks))
    return cases


HTTP_CASES = _http_cases()


def test_every_expected_failure_names_a_case():
    assert set(XFAILS) <= {case.id for case in HTTP_CASES}


def _errors(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "role", "phase"), HTTP_CASES)
def test_route(client, world, route, role, phase):
    enter_phase(world, phase)
    expected = expected_outcome(route, role, phase)
    if world.users[role] is not None:
        client.force_login(user_of(world, role))
    url = route.url(world)
    before = route.effect(world)
    post = route.method == "POST"
    response = client.post(url, route.data(world)) if post else client.get(url)
    after = route.effect(world)
    status, location = response.status_code, response.get("Location", "")
    where = f"{route.method} {url} as {role} in {PHASE_NAMES[phase]}"

    if expected == "login":
        assert status == 302 and location.startswith(reverse("account_login")), where
    elif expected == "admin":
        assert status == 302 and location.startswith(reverse("admin:login")), where
    elif expected == "404":
        assert status == 404, f"{where}: {status}, expected 404"
    elif expected == "ignored":
        assert status in (302, 404), f"{where}: {status}"
    elif expected == "refused":
        refused = status == 403 or (
            status == 302
            and not location.startswith(reverse("account_login"))
            and _errors(response)
        )
        assert refused, f"{where}: {status} {location}, expected 403 or a refusal message"
    else:
        assert status in (200, 302), f"{where}: {status}, expected it allowed"
        assert not location.startswith(reverse("account_login")), where
        assert not _errors(response), f"{where}: refused with {_errors(response)}"
        if route.method == "POST":
            assert after != before, f"{where}: allowed, but nothing changed"
    if expected != "ok":
        assert after == before, f"{where}: refused, but something changed"
