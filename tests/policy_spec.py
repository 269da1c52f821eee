"""The specification of the policy matrix (tests/test_policy_matrix.py) and the world it is
checked in, shared with the API, archive and input-hardening tests that use the same world.

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
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from programme.models import Placement, ProgrammeSettings
from programme.models import Session as ProgrammeSession
from reviews.models import (
    Assignment,
    ConflictOverride,
    DecisionCategory,
    ExternalReviewRequest,
    Outcome,
    RatingSettings,
    Review,
    ReviewQuestion,
    ReviewStatus,
    Vote,
)
from reviews.services.reviewing import DEFAULT_FORM
from submissions.models import (
    Authorship,
    Submission,
    SubmissionField,
    SubmissionFieldValue,
    SubmissionStatus,
    SubmissionType,
)
from tests.factories import TopicFactory, UserFactory, WorkshopFactory
from workshop.models import Membership, Role, User, Workshop
from workshop.phases import Phase

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
submissions.manage_fields        A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
submissions.view_field_in_review fld-rev |.   |yes   |.     |yes   |yes   |yes   |yes   |yes  |.     |.    |.
submissions.view_field_in_review fld-chr |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
submissions.view_field_in_review fld-idn |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
submissions.view_field_public    fld-pub |yes |yes   |yes   |yes   |yes   |yes   |yes   |yes  |yes   |yes  |yes
submissions.view_field_public    fld-rev |.   |.     |.     |.     |.     |.     |.     |.    |.     |.    |.
submissions.answer_field         fld-ans |.   |.     |.     |.     |.     |.     |.     |.    |s     |.    |.
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
reviews.view_review_flags        P      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.view_review_flags        A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.tag                      P      |.   |yes   |.     |yes   |yes   |yes   |yes   |.    |.     |.    |.
reviews.chair_tags               P      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.chair_tags               A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.manage_votes             A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.vote                     P      |.   |sbradx|.     |sbradx|sbradx|sbradx|sbradx|.    |.     |.    |.
reviews.rate_review              R1-rev |.   |yes   |.     |yes   |.     |.     |.     |.    |adxcz |adxcz|.
reviews.rate_review              R2-rev |.   |.     |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.see_review_ratings       R1-rev |.   |yes   |.     |.     |yes   |.     |.     |.    |.     |.    |.
reviews.view_rating_record       A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.request_external         P      |.   |sbradx|.     |sbradx|sbradx|sbradx|.     |.    |.     |.    |.
reviews.recruit_emergency        P      |.   |sbradx|.     |sbradx|.     |.     |.     |.    |.     |.    |.
reviews.see_external_requests    P      |.   |yes   |.     |yes   |.     |.     |.     |.    |.     |.    |.
reviews.decide_external_request  A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.approve_external_review  ext-rq |.   |yes   |.     |.     |yes   |.     |.     |.    |.     |.    |.
reviews.withdraw_external_request ext-rq |.  |yes   |.     |.     |yes   |.     |.     |.    |.     |.    |.
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
reviews.manage_rounds            A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.send_to_round            P      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.upload_revision          P      |.   |.     |.     |.     |.     |.     |.     |.    |.     |.    |.
reviews.view_revision            P      |.   |.     |.     |.     |.     |.     |.     |.    |.     |.    |.
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


# Track chairs (issue 27, part 4): a column of their own, asserted by tests/test_policy_matrix.py
# in the world `build_tracks` extends (the other users of this world keep the eleven roles).
TRACK_ROLE = "track-chair-findings"
ROLE_NAMES["trkF"] = TRACK_ROLE
ALL_ROLES = (*ROLES, TRACK_ROLE)


OBJECTS = (
    "A",
    "P",
    "W",
    "F",
    "R1-rev",
    "R2-rev",
    "R1-asg",
    "R2-asg",
    "cf-asg",
    "R1-usr",
    "ext-rq",
    "fld-rev",
    "fld-chr",
    "fld-idn",
    "fld-pub",
    "fld-ans",
)


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


# Workshop A has two tracks: "main" (P, Q and W) and "findings" (F: a submitted paper of
# author-Q); trkF chairs "findings" and holds no role in A itself. In every row above, trkF's
# cell is chair-B's (a person with no role in A) unless TRACK_CHAIR_CELLS names it; TRACK_ROWS
# are rows with the track chair's column from the start (F's rows, and a paper of "main").
TRACK_CHAIR_CELLS = """
permission                       obj    |trkF
decisions.decide                 A      |yes
"""

TRACK_ROWS = """
permission                       obj    |anon|chairA|chairB|AC    |R1    |R2    |unasg |confl|authP |coauP|authQ|trkF
workshop.compose_mail            A      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.    |yes
decisions.decide                 P      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.    |.
decisions.decide                 F      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.    |yes
decisions.see                    F      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |cz   |yes
submissions.set_outcome          F      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |.    |yes
submissions.view                 F      |.   |yes   |.     |.     |.     |.     |.     |.    |.     |.    |yes  |yes
"""  # noqa: E501


def _with_track_chair(rows: dict, cells: str, more: str) -> dict:
    for line in cells.strip().splitlines()[1:]:
        head, cell = (c.strip() for c in line.split("|"))
        phases = {"yes": PHASES, ".": ""}.get(cell, cell)
        rows[tuple(head.split())][TRACK_ROLE] = phases
    for row in rows.values():
        row.setdefault(TRACK_ROLE, row["chair-B"])
    extra = _parse(more)
    assert not set(extra) & set(rows), "a row of TRACK_ROWS is in POLICY_TABLE"
    return {**rows, **extra}


MATRIX = _with_track_chair(_parse(POLICY_TABLE), TRACK_CHAIR_CELLS, TRACK_ROWS)


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


def add_member(workshop: Workshop, role: str, **kwargs: Any) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(workshop=workshop, user=user, role=role)
    if role == Role.CHAIR:
        User.objects.filter(pk=user.pk).update(is_staff=True)
    return user


def add_paper(workshop: Workshop, number: int, by: User, status: str, **fields: Any) -> Submission:
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


def add_author(submission: Submission, user: User, position: int, *, contact: bool) -> None:
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
        "chair-A": add_member(a, Role.CHAIR),
        "chair-B": add_member(b, Role.CHAIR),
        "AC-of-P": add_member(a, Role.AREA_CHAIR),
        "R1-submitted": add_member(a, Role.REVIEWER),
        "R2-draft": add_member(a, Role.REVIEWER),
        "unassigned": add_member(a, Role.REVIEWER),
        "conflicted": add_member(a, Role.REVIEWER),
        "author-P": UserFactory(),
        "coauthor-P": UserFactory(),
        "author-Q": UserFactory(),
    }
    assert EmailAddress.objects.filter(user=users["coauthor-P"], verified=True).exists()
    p = add_paper(a, 1, users["author-P"], SubmissionStatus.SUBMITTED)
    q = add_paper(a, 2, users["author-Q"], SubmissionStatus.SUBMITTED)
    w = add_paper(a, 3, users["author-P"], SubmissionStatus.WITHDRAWN,
               status_before_withdrawal=SubmissionStatus.SUBMITTED,
               withdrawn_at=timezone.now())  # fmt: skip
    add_author(p, users["author-P"], 1, contact=True)
    add_author(p, users["coauthor-P"], 2, contact=False)
    add_author(q, users["author-Q"], 1, contact=True)
    add_author(w, users["author-P"], 1, contact=True)

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
    external = ExternalReviewRequest.objects.create(
        submission=p, requester=users["R1-submitted"], email="expert@zq-external.example.org",
        due_at=timezone.now(), status="pending",
    )  # fmt: skip
    # A lets the authors rate the released reviews of their papers (issue 28).
    RatingSettings.objects.create(workshop=a, authors_rate=True)
    # An open vote of A (issue 28), three votes per member.
    Vote.objects.create(workshop=a, name="zq-best", allowance=3)
    # A's programme is published, P is placed in an oral session (its contact author presents).
    ProgrammeSettings.objects.create(workshop=a, published=True)
    now = timezone.now()
    talks = ProgrammeSession.objects.create(
        workshop=a, title="Talks", starts_at=now, ends_at=now + dt.timedelta(hours=1)
    )
    Placement.objects.create(session=talks, submission=p)
    # A's custom fields (issue 27; A is double-blind): a reviewers' one, a chairs-only one,
    # an identifying one, a public one; and P's answer to the reviewers' one.
    kinds = {
        "fld-rev": {},
        "fld-chr": {"visibility": "chairs"},
        "fld-idn": {"identifying": True},
        "fld-pub": {"visibility": "public"},
    }
    custom = {
        key: SubmissionField.objects.create(workshop=a, code=key, label=key, kind="text", **kw).pk
        for key, kw in kinds.items()
    }  # fmt: skip
    custom["fld-ans"] = SubmissionFieldValue.objects.create(
        submission=p, field_id=custom["fld-rev"], text="An answer"
    ).pk
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
        extra={"ext-rq": external.pk, **custom},
    )


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


def build_tracks(world: World) -> None:
    """A's tracks (issue 27): "main" holds P, Q and W, "findings" holds F (a submitted
    paper of author-Q, on which nobody is assigned), chaired by the track chair."""
    from workshop.models import Track, TrackMember

    main = Track.objects.create(workshop=world.a, name="Main", slug="main", order=1)
    findings = Track.objects.create(workshop=world.a, name="Findings", slug="findings", order=2)
    Submission.objects.filter(pk__in=[world.p.pk, world.q.pk, world.w.pk]).update(track=main)
    author_q = User.objects.get(pk=world.users["author-Q"])
    f = add_paper(world.a, 4, author_q, SubmissionStatus.SUBMITTED, track=findings)
    add_author(f, author_q, 1, contact=True)
    chair = UserFactory(is_staff=True)
    TrackMember.objects.create(track=findings, user=chair, role=Role.CHAIR)
    world.users[TRACK_ROLE] = chair.pk
    world.extra.update(f=f, main=main, findings=findings)


def user_of(world: World, role: str) -> User | AnonymousUser:
    """A fresh instance: the policy caches roles and addresses on the user object."""
    pk = world.users[role]
    return AnonymousUser() if pk is None else User.objects.get(pk=pk)


def object_of(world: World, key: str) -> Any:
    """A fresh instance: the policy caches a paper's assignments and conflicts on it."""
    if key == "A":
        return Workshop.objects.get(pk=world.a.pk)
    if key == "F":
        return Submission.objects.select_related("workshop").get(pk=world.extra["f"].pk)
    if key in ("P", "W"):
        pk = world.p.pk if key == "P" else world.w.pk
        return Submission.objects.select_related("workshop").get(pk=pk)
    if key == "fld-ans":  # P's answer to A's reviewers' field (issue 27)
        return SubmissionFieldValue.objects.select_related(
            "field__workshop", "submission__workshop"
        ).get(pk=world.extra[key])
    if key.startswith("fld-"):  # A's custom fields (issue 27)
        return SubmissionField.objects.select_related("workshop").get(pk=world.extra[key])
    if key == "ext-rq":  # R1's request for an external review of P (issue 28)
        return ExternalReviewRequest.objects.select_related("submission__workshop").get(
            pk=world.extra["ext-rq"]
        )
    if key == "R1-usr":  # a person, as the owner of their publication list
        return User.objects.get(pk=world.users["R1-submitted"])
    if key.endswith("-rev"):
        return Review.objects.select_related("assignment__submission__workshop").get(
            pk=world.reviews[key]
        )
    return Assignment.objects.select_related("submission__workshop").get(pk=world.assignments[key])
