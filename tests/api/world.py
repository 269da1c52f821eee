"""The API's test world: the policy matrix's world (tests/policy_spec.py), plus a
read-write token per person, a decision on P, review answers and a paper of workshop B
carrying marker strings that must never reach those the policy hides them from."""

from __future__ import annotations

from dataclasses import dataclass

from api.models import ApiToken
from api.selectors import token_workshops_for
from api.services import token_create
from reviews.models import Answer, Comment, Decision, MetaReview, QuestionVisibility
from submissions.models import Authorship, Submission, SubmissionStatus
from tests.policy_spec import ROLES, World, add_author, add_paper, build_world
from workshop.models import User

AUTHOR_MARK = "ZQAUTHORMARK"  # P's authors' names (double-blind)
REVIEWER_MARK = "ZQREVIEWERMARK"  # R1's name (reviewer identities)
CONFIDENTIAL_MARK = "ZQCONFIDENTIALMARK"  # R1's chairs-only answer
AUTHOR_VISIBLE_MARK = "ZQAUTHORVISIBLEMARK"  # R1's summary, shown to authors once released
BETA_MARK = "ZQBETATITLEMARK"  # a paper of workshop B
CHAIRS_THREAD_MARK = "ZQCHAIRSTHREADMARK"  # a chairs-only discussion thread on P


@dataclass
class ApiWorld:
    base: World
    secrets: dict[str, str]  # role -> bearer secret
    beta_paper: Submission


def build_api_world() -> ApiWorld:
    world = build_world()
    Authorship.objects.filter(submission=world.p).update(name=f"{AUTHOR_MARK} Author")
    User.objects.filter(pk=world.users["R1-submitted"]).update(name=f"{REVIEWER_MARK} Reviewer")
    chair_b = User.objects.get(pk=world.users["chair-B"])
    beta = add_paper(world.b, 1, chair_b, SubmissionStatus.SUBMITTED)
    Submission.objects.filter(pk=beta.pk).update(title=f"{BETA_MARK} paper")
    add_author(beta, chair_b, 1, contact=True)
    Decision.objects.create(submission=world.p, category=world.accept,
                            decided_by=User.objects.get(pk=world.users["chair-A"]))  # fmt: skip
    chair_a = User.objects.get(pk=world.users["chair-A"])
    Comment.objects.create(
        submission=world.p,
        author=chair_a,
        signature="Chair",
        body=f"{CHAIRS_THREAD_MARK} between chairs",
        audience="chairs",
    )
    Comment.objects.create(
        submission=world.p,
        author=chair_a,
        signature="Chair",
        body="ZQ committee thread",
        audience="committee",
    )
    MetaReview.objects.create(
        submission=world.p,
        author_id=world.users["AC-of-P"],
        recommendation="accept",
        text="ZQ meta-review",
    )
    for q in world.questions:
        value = None
        if q.visibility == QuestionVisibility.CHAIRS:
            value = f"{CONFIDENTIAL_MARK} note"
        elif q.label == "Summary":
            value = f"{AUTHOR_VISIBLE_MARK} summary"
        if value:
            Answer.objects.create(review_id=world.reviews["R1-rev"], question=q, value=value)
    secrets = {}
    for role in ROLES:
        pk = world.users[role]
        if pk is None:
            continue
        user = User.objects.get(pk=pk)
        _, secret = token_create(user=user, name=f"{role} script",
                                 workshops=list(token_workshops_for(user)),
                                 scope="read-write",
                                 transfer="transfer:write")  # fmt: skip
        secrets[role] = secret
    assert ApiToken.objects.count() == len(secrets)
    return ApiWorld(base=world, secrets=secrets, beta_paper=beta)


def auth(secret: str | None) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
