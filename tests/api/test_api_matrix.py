"""The permission matrix through the API: every endpoint x role x phase answers as
`workshop.policy.can` says (expected values are computed from the policy, never written
by hand, so browser and API cannot disagree), and marker strings never reach a caller the
policy hides them from.

Expected answer of a cell:
  401  anonymous (no token)
  404  the object's workshop is outside the caller's token, or a "visible" permission of
       the endpoint refuses (indistinguishable from a missing id)
  403  visible, but the endpoint's action permission refuses
  2xx  allowed
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from api.errors import NOT_FOUND_BODY
from api.models import ApiToken
from submissions.models import Submission
from tests.policy_spec import (
    MATRIX,
    PHASE_NAMES,
    PHASES,
    ROLES,
    enter_phase,
    object_of,
    user_of,
)
from workshop.policy import can

from .world import (
    AUTHOR_MARK,
    AUTHOR_VISIBLE_MARK,
    BETA_MARK,
    CHAIRS_THREAD_MARK,
    CONFIDENTIAL_MARK,
    REVIEWER_MARK,
    ApiWorld,
    auth,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    url: Callable[[ApiWorld], str]
    visible: tuple[tuple[str, str], ...] = ()  # (permission, matrix object): else 404
    action: tuple[str, str] | None = None  # (permission, matrix object): else 403
    body: Callable[[ApiWorld], dict] | None = None
    ok: int = 200
    # Asked before the visibility rows, refused with 403 (e.g. "a committee member at all").
    pre: tuple[tuple[str, str], ...] = ()
    # Allowed when any of these holds (e.g. chairs read all bids, members their own).
    any_of: tuple[tuple[str, str], ...] = ()
    in_a: bool = True  # names workshop A or one of its objects (lists do not)
    # What the service adds to the table for this action, e.g. meta_review_save hides the
    # meta-review (404) from those who may not see it once decisions are out.
    refine: Callable[[Any, str], int | None] | None = None


def _p(name: str) -> Callable[[ApiWorld], str]:
    return lambda w: reverse(name, args=[w.base.p.pk])


def _a(name: str) -> Callable[[ApiWorld], str]:
    return lambda w: reverse(name, args=[w.base.a.slug])


def _asg(key: str) -> Callable[[ApiWorld], str]:
    return lambda w: reverse("api:review", args=[w.base.assignments[key]])


def _draft(w: ApiWorld) -> dict:
    summary = next(q for q in w.base.questions if q.label == "Summary")
    return {"answers": {str(summary.pk): "ZQ draft text"}}


_CURRENT: dict[str, ApiWorld] = {}


def _P() -> Any:
    return object_of(_CURRENT["world"].base, "P")


def _R1() -> Any:
    return object_of(_CURRENT["world"].base, "R1-rev")


AUTHOR_SEES = (("submissions.view", "P"),)
IN_REVIEW = (("reviews.view_paper", "P"),)


def _n(name: str) -> Callable[[ApiWorld], str]:
    return lambda w: reverse(name, args=[w.base.a.slug, w.base.p.number])


ENDPOINTS = [
    Endpoint("submission.get", "GET", _p("api:submission"), AUTHOR_SEES),
    Endpoint("submission.patch", "PATCH", _p("api:submission"), AUTHOR_SEES,
             ("submissions.edit", "P"), body=lambda w: {"title": "ZQ retitled"}),
    Endpoint("submission.withdraw", "POST", _p("api:submission-withdraw"), AUTHOR_SEES,
             ("submissions.withdraw", "P")),
    Endpoint("submission.files", "GET", _p("api:submission-files"), AUTHOR_SEES),
    Endpoint("submission.decision", "GET", _p("api:submission-decision"), AUTHOR_SEES,
             ("decisions.see", "P")),
    Endpoint("submission.released_reviews", "GET", _p("api:submission-reviews"), AUTHOR_SEES,
             ("reviews.read_released", "P")),
    Endpoint("review.get[R1]", "GET", _asg("R1-asg"),
             (("reviews.view_paper", "P"), ("reviews.see_review", "R1-rev"))),
    Endpoint("review.get[R2]", "GET", _asg("R2-asg"),
             (("reviews.view_paper", "P"), ("reviews.see_review", "R2-rev"))),
    Endpoint("review.put[R2]", "PUT", _asg("R2-asg"),
             (("reviews.view_paper", "P"), ("reviews.see_review", "R2-rev")),
             ("reviews.write_review", "R2-asg"), body=_draft),
    Endpoint("workshop.patch", "PATCH", _a("api:workshop"), (), ("workshop.manage", "A"),
             body=lambda w: {"page_limit": 9}),
    Endpoint("activity", "GET", _a("api:activity"), (), ("workshop.view_activity", "A")),
    Endpoint("outbox", "GET", _a("api:outbox"), (), ("workshop.view_outbox", "A")),
    Endpoint("export.csv", "GET", _a("api:export"), (), ("workshop.manage", "A")),
    Endpoint("assignments", "GET", _a("api:assignments"), (), ("reviews.assign", "A")),
    Endpoint("assignments.bulk", "POST", _a("api:assignments-bulk"), (), ("reviews.assign", "A"),
             body=lambda w: {"dry_run": True, "remove": [
                 {"paper": 1, "reviewer": "nobody@example.org"}]}),
    Endpoint("decisions.bulk", "POST", _a("api:decisions-bulk"), (), ("decisions.decide", "A"),
             body=lambda w: {"dry_run": True, "papers": [1], "category": "Accept"}),
    Endpoint("reviews.release", "POST", _a("api:reviews-release"), (),
             ("decisions.release_reviews", "A"), body=lambda w: {"released": True}),
    # Lists: always answered; what they contain is checked by the marker rules.
    Endpoint("submissions.list", "GET", lambda w: reverse("api:submissions"), in_a=False),
    Endpoint("my.assignments", "GET", lambda w: reverse("api:my-assignments"), in_a=False),
    Endpoint("workshop.reviews", "GET", _a("api:reviews")),
    Endpoint("workshops.list", "GET", lambda w: reverse("api:workshops"), in_a=False),
    # The committee.
    Endpoint("members", "GET", _a("api:members"), (), ("reviews.manage_committee", "A")),
    Endpoint("invitations", "GET", _a("api:invitations"), (), ("reviews.manage_committee", "A")),
    Endpoint("invitations.bulk", "POST", _a("api:invitations"), (),
             ("reviews.manage_committee", "A"), body=lambda w: {
                 "dry_run": True, "invitations": [{"email": "zq-new@example.org"}]}),
    Endpoint("bids", "GET", _a("api:bids"),
             any_of=(("reviews.manage_committee", "A"), ("reviews.view_bidding", "A"))),
    Endpoint("bid.put", "PUT", _a("api:bids"), (("reviews.view_bidding", "P"),),
             ("reviews.bid", "P"), pre=(("reviews.view_bidding", "A"),),
             body=lambda w: {"paper": 1, "value": "willing"}),
    Endpoint("conflicts", "GET", _a("api:conflicts"), (), ("reviews.set_conflict", "A")),
    Endpoint("conflicts.declared", "GET", _a("api:declared-conflicts"), (),
             ("reviews.set_conflict", "A")),
    Endpoint("profiles", "GET", _a("api:profiles"), (), ("reviews.manage_committee", "A")),
    # The discussion and the meta-review (paper 1 is P).
    Endpoint("comments", "GET", _n("api:comments"), IN_REVIEW, ("reviews.discuss", "P")),
    Endpoint("comment.post", "POST", _n("api:comments"), IN_REVIEW, ("reviews.discuss", "P"),
             body=lambda w: {"body": "ZQ a note"}, ok=201),
    Endpoint("meta_review", "GET", _n("api:meta-review"), IN_REVIEW,
             ("reviews.see_meta_review", "P")),
    Endpoint("meta_review.put", "PUT", _n("api:meta-review"), IN_REVIEW,
             ("reviews.write_meta_review", "P"), refine=lambda user, phase: 404 if (
                 phase in "cz" and not can(user, "reviews.see_meta_review", _P())) else None,
             body=lambda w: {"recommendation": "accept", "text": "ZQ updated"}),
    Endpoint("profile", "GET", _a("api:profile"), (), ("reviews.edit_profile", "A")),
    Endpoint("profile.put", "PUT", _a("api:profile"), (), ("reviews.edit_profile", "A"),
             body=lambda w: {"expertise_text": "ZQ retrieval, evaluation"}),
    Endpoint("matching.start", "POST", _a("api:matching-runs"), (), ("reviews.assign", "A"),
             body=lambda w: {"mode": "max_total"}, ok=201),
    # Import and export jobs: the admin's rules (the world's tokens carry transfer:write).
    Endpoint("imports", "GET", _a("api:imports"), (), ("transfer.import", "A")),
    Endpoint("exports", "GET", _a("api:exports"), (), ("transfer.export", "A")),
    Endpoint("export.start", "POST", _a("api:exports"), (), ("transfer.export", "A"),
             body=lambda w: {"format": "archive"}, ok=201),
    # External reviewers (issue 28): who may see P lists the requests it may see; asking
    # follows reviews.request_external (each call a new address: one open request each).
    Endpoint("paper.external", "GET", _n("api:paper-external"), (("reviews.view_paper", "P"),)),
    Endpoint("paper.external.post", "POST", _n("api:paper-external"),
             (("reviews.view_paper", "P"),), ("reviews.request_external", "P"),
             body=lambda w: {"email": f"zqexpert{next(_EXPERTS)}@zq-api-expert.org"}, ok=201),
    # Tags, votes and review ratings (issue 28): a conflicted member and the authors get 404.
    Endpoint("paper.tags", "GET", _n("api:paper-tags"), (("reviews.tag", "P"),)),
    Endpoint("paper.tag.post", "POST", _n("api:paper-tags"), (("reviews.tag", "P"),),
             body=lambda w: {"tag": "#zq-api#2"}, ok=201),
    Endpoint("paper.votes", "GET", _n("api:paper-votes"), (("reviews.tag", "P"),)),
    Endpoint("votes", "GET", _a("api:votes"), (), ("reviews.manage_votes", "A")),
    Endpoint("review.ratings", "GET",
             lambda w: reverse("api:review-ratings", args=[w.base.reviews["R1-rev"]]),
             (("reviews.see_review_ratings", "R1-rev"),)),
    Endpoint("review.rate", "PUT",
             lambda w: reverse("api:review-ratings", args=[w.base.reviews["R1-rev"]]),
             (), ("reviews.rate_review", "R1-rev"), body=lambda w: {"helpful": True},
             refine=lambda user, phase: None if (
                 can(user, "reviews.see_review", _R1()) or can(user, "reviews.read_released", _P())
             ) else 404),
]  # fmt: skip


_EXPERTS = itertools.count(1)


def _phases(endpoint: Endpoint, role: str) -> str:
    """Every phase when one of the role's cells in the endpoint's rows changes with the
    phase (or the service refines the answer by phase); else one phase (reviewing)."""
    rows = [
        *endpoint.pre,
        *endpoint.visible,
        *endpoint.any_of,
        *([endpoint.action] if endpoint.action else []),
    ]
    if endpoint.refine or any(MATRIX[r][role] not in ("", PHASES) for r in rows):
        return PHASES
    return "r"


def _expected(world: ApiWorld, endpoint: Endpoint, role: str, phase: str) -> int:
    if role == "anonymous":
        return 401
    user = user_of(world.base, role)
    token_reaches_a = ApiToken.objects.filter(
        user_id=world.base.users[role], workshops=world.base.a
    ).exists()
    if endpoint.in_a and not token_reaches_a:
        return 404  # e.g. chair-B: their token reaches workshop B only
    for perm, obj in endpoint.pre:
        if not can(user, perm, object_of(world.base, obj)):
            return 403
    for perm, obj in endpoint.visible:
        if not can(user, perm, object_of(world.base, obj)):
            return 404
    if endpoint.any_of and not any(
        can(user, perm, object_of(world.base, obj)) for perm, obj in endpoint.any_of
    ):
        return 403
    if endpoint.action:
        perm, obj = endpoint.action
        if not can(user_of(world.base, role), perm, object_of(world.base, obj)):
            refined = endpoint.refine(user, phase) if endpoint.refine else None
            return refined or 403
    return endpoint.ok


def _request(client, world: ApiWorld, endpoint: Endpoint, role: str):
    kwargs = auth(world.secrets.get(role))
    url = endpoint.url(world)
    call = getattr(client, endpoint.method.lower())
    if endpoint.body is None:
        return call(url, **kwargs)
    return call(url, data=json.dumps(endpoint.body(world)), content_type="application/json",
                **kwargs)  # fmt: skip


def _marker_rules(world: ApiWorld, role: str) -> dict[str, bool]:
    """Which markers the role may read anywhere, from the policy."""
    if role == "anonymous":
        return dict.fromkeys(
            (
                AUTHOR_MARK,
                REVIEWER_MARK,
                CONFIDENTIAL_MARK,
                AUTHOR_VISIBLE_MARK,
                BETA_MARK,
                CHAIRS_THREAD_MARK,
            ),
            False,
        )
    user = user_of(world.base, role)
    p = object_of(world.base, "P")
    r1_review = object_of(world.base, "R1-rev")
    return {
        AUTHOR_MARK: can(user, "submissions.view", p),
        REVIEWER_MARK: can(user, "reviews.see_chairs_only_answers", p),
        # R1 wrote it: a writer reads their own review whole.
        CONFIDENTIAL_MARK: can(user, "reviews.see_chairs_only_answers", p)
        or role == "R1-submitted",
        CHAIRS_THREAD_MARK: can(user, "reviews.see_chairs_only_answers", p),
        AUTHOR_VISIBLE_MARK: can(user, "reviews.see_review", r1_review)
        or can(user, "reviews.read_released", p),
        BETA_MARK: can(
            user,
            "submissions.view",
            Submission.objects.select_related("workshop").get(pk=world.beta_paper.pk),
        ),
    }


CASES = [pytest.param(e, role, id=f"{e.name}|{role}") for e in ENDPOINTS for role in ROLES]


@pytest.mark.parametrize(("endpoint", "role"), CASES)
def test_api_answers_as_the_policy_says(client, api_world, endpoint, role):
    _CURRENT["world"] = api_world
    for phase in _phases(endpoint, role):
        enter_phase(api_world.base, phase)
        expected = _expected(api_world, endpoint, role, phase)
        response = _request(client, api_world, endpoint, role)
        where = f"{endpoint.name} as {role} in {PHASE_NAMES[phase]}"
        assert response.status_code == expected, (
            f"{where}: {response.status_code}, the policy says {expected}: "
            f"{response.content[:300]!r}"
        )
        if expected == 404:
            assert response.json() == NOT_FOUND_BODY, where
        elif expected >= 400:
            assert set(response.json()["error"]) == {"code", "message", "fields"}, where
        text = response.content.decode(errors="replace")
        for marker, may in _marker_rules(api_world, role).items():
            if not may:
                assert marker not in text, f"{where}: {marker} leaked"


def test_markers_do_reach_those_the_policy_allows(client, api_world):
    """The marker checks above can fail: the same markers do appear where allowed."""
    enter_phase(api_world.base, "c")
    chair = auth(api_world.secrets["chair-A"])
    r1 = reverse("api:review", args=[api_world.base.assignments["R1-asg"]])
    text = client.get(r1, **chair).content.decode()
    assert REVIEWER_MARK in text or "@" in text
    assert CONFIDENTIAL_MARK in text and AUTHOR_VISIBLE_MARK in text
    ac = client.get(r1, **auth(api_world.secrets["AC-of-P"])).content.decode()
    assert AUTHOR_VISIBLE_MARK in ac and CONFIDENTIAL_MARK not in ac and "Reviewer A" in ac
    author = client.get(reverse("api:submission-reviews", args=[api_world.base.p.pk]),
                        **auth(api_world.secrets["author-P"])).content.decode()  # fmt: skip
    assert AUTHOR_VISIBLE_MARK in author and CONFIDENTIAL_MARK not in author
    assert "Reviewer A" in author
    listing = client.get(reverse("api:submissions"), **chair).content.decode()
    assert AUTHOR_MARK in listing
