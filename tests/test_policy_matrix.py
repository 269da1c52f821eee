"""The policy matrix: every named permission x every role x every phase where it changes.

The table (POLICY_TABLE in tests/policy_spec.py, with its world, its cells and its phases)
is the specification. Every cell is asserted through the policy
(`workshop.policy.can(user, perm, obj)`), and, for the permissions a route enforces, the
same cell is asserted through that route (a GET or POST as that role, in that phase). The
world is built once for the module (and rolled back at its end).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.urls import reverse

from reviews.models import (
    Assignment,
    AuthorResponse,
    Bid,
    Comment,
    Decision,
    ExternalReviewRequest,
    MetaReview,
    PaperTag,
    PaperVote,
    Review,
    ReviewRating,
)
from submissions.models import Submission
from workshop.models import OutgoingMail, Workshop
from workshop.phases import current_phase
from workshop.policy import can, permission_names

from .policy_spec import (
    ALL_ROLES,
    EVERY_PHASE,
    EXPECTED_PHASE,
    MATRIX,
    PHASE_NAMES,
    PHASES,
    TRACK_ROLE,
    World,
    allowed,
    build_tracks,
    build_world,
    enter_phase,
    object_of,
    row_label,
    user_of,
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end; each
    test runs in its own savepoint inside it (pytest-django's `db`), so nothing leaks."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        build_tracks(built)
        yield built
        transaction.set_rollback(True)


# --- The table covers every named permission, every role, every phase -------------------------
def test_the_table_covers_every_named_permission_exactly():
    """A permission added to a policy module without a row here fails this test."""
    in_table = {perm for perm, _ in MATRIX}
    named = set(permission_names())
    assert not named - in_table, f"permissions without a row: {sorted(named - in_table)}"
    assert not in_table - named, f"rows for no permission: {sorted(in_table - named)}"
    assert all(set(row) == set(ALL_ROLES) for row in MATRIX.values())
    assert len(ALL_ROLES) == 12 and len(PHASES) == 8


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
        for role in ALL_ROLES:
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
#   closed   a track chair on a chair tool of the workshop's chairs: 403 or 404
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


def _vote_id(world: World) -> int:
    from reviews.models import Vote

    return Vote.objects.get(workshop=world.a, name="zq-best").pk


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
                          "submission_type": str(w.p.submission_type_id), "llm_use": "none",
                          "track": str(w.extra["main"].pk)},  # A has tracks (issue 27)
          visible=AUTHOR_VISIBLE, effect=lambda w: Submission.objects.get(pk=w.p.pk).title),
    # Custom fields (issue 27): the chairs define them in the chair tools.
    Route("submissions.manage_fields", "A", "GET",
          lambda w: reverse("admin:submissions_submissionfield_change",
                            args=[w.extra["fld-rev"]]), admin=True),
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
    # Review rounds (issue 27): P was never sent to a later round, so it has no revision to
    # upload or to read (tests/reviews/test_rounds.py covers a paper in round 2).
    Route("reviews.upload_revision", "P", "POST",
          lambda w: reverse("author_revision", args=[w.p.pk]),
          effect=lambda w: Submission.objects.get(pk=w.p.pk).paper_id),
    Route("reviews.view_revision", "P", "GET",
          lambda w: reverse("reviews:revision", args=_p_args(w))),
    # External reviewers (issue 28): a request from the paper's page (the expert's side, and
    # the approval, in tests/reviews/test_external.py).
    Route("reviews.request_external", "P", "POST",
          lambda w: reverse("reviews:external_request", args=_p_args(w)),
          data=lambda w: {"email": "zqexpert@zq-expert-lab.org", "name": f"{MARKER} expert"},
          visible=P_VISIBLE,
          effect=lambda w: ExternalReviewRequest.objects.filter(submission=w.p).count()),
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
    # The desk: a track chair enters it (issue 27) and decides their track's papers only.
    Route("decisions.decide", "A", "GET",
          lambda w: reverse("admin:reviews_decisionboard_changelist") + f"?workshop={w.a.pk}",
          admin=True),
    Route("decisions.decide", "P", "POST", lambda w: reverse("admin:reviews_decisions_save"),
          data=lambda w: {f"decision-{w.p.pk}": str(w.accept.pk)}, admin=True,
          ignores_foreign=True,
          effect=lambda w: Decision.objects.filter(submission=w.p).count()),
    Route("decisions.decide", "F", "POST", lambda w: reverse("admin:reviews_decisions_save"),
          data=lambda w: {f"decision-{w.extra['f'].pk}": str(w.accept.pk)}, admin=True,
          ignores_foreign=True,
          effect=lambda w: Decision.objects.filter(submission=w.extra["f"]).count()),
    Route("decisions.release_reviews", "A", "POST",
          lambda w: reverse("admin:reviews_decision_mails", args=[w.a.pk]),
          data=lambda w: {"action": "release_reviews"}, admin=True, phases="r",
          effect=lambda w: Workshop.objects.get(pk=w.a.pk).reviews_released),
    # A chair's mail to a desk search, held (a track chair's: their track's papers' people).
    Route("workshop.compose_mail", "A", "POST",
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
    # Tags, votes and review ratings (issue 28).
    Route("reviews.tag", "P", "POST", lambda w: reverse("reviews:tag_add", args=_p_args(w)),
          data=lambda w: {"tag": "#zqmatrix#2", "visibility": "shared"},
          effect=lambda w: PaperTag.objects.filter(submission=w.p).count()),
    Route("reviews.vote", "P", "POST",
          lambda w: reverse("reviews:vote", args=[*_p_args(w), _vote_id(w)]),
          data=lambda w: {"count": "1"}, visible=(("reviews.tag", "P"),),
          effect=lambda w: PaperVote.objects.filter(submission=w.p).count()),
    Route("reviews.rate_review", "R1-rev", "POST",
          lambda w: reverse("reviews:rate", args=[*_p_args(w), w.reviews["R1-rev"]]),
          data=lambda w: {"helpful": "yes", "reason": f"{MARKER} helpful"},
          visible=(("reviews.see_review", "R1-rev"),),
          effect=lambda w: ReviewRating.objects.filter(review_id=w.reviews["R1-rev"]).count()),
    Route("reviews.manage_votes", "A", "GET",
          lambda w: reverse("admin:reviews_vote_changelist") + f"?workshop={w.a.pk}", admin=True),
    Route("reviews.view_rating_record", "A", "GET",
          lambda w: reverse("admin:reviews_reviewrating_changelist") + f"?workshop={w.a.pk}",
          admin=True),
]  # fmt: skip
STAFF = ("chair-A", "chair-B", TRACK_ROLE)


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
            for role in ALL_ROLES
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
        if route.ignores_foreign and role != "chair-A":
            return "ignored"
        # A track chair enters some chair tools only: the others are closed to them (403), and
        # in those they enter, the rest of the workshop is not found (404).
        return "closed" if role == TRACK_ROLE else "404"
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
    """The permission, with the method where the permission has routes for both, and the
    object where it has several routes of one method."""
    same = [r for r in ROUTES if r.perm == route.perm]
    label = route.perm
    if {r.method for r in same} == {"GET", "POST"}:
        label += f":{route.method}"
    if sum(r.method == route.method for r in same) > 1:
        label += f"[{route.obj}]"
    return label


def _http_cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        for phase in route_phases(route):
            for role in ALL_ROLES:
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
    elif expected == "closed":
        assert status in (403, 404), f"{where}: {status}, expected 403 or 404"
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
