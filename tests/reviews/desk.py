"""A decision desk of any size, built in bulk: one workshop, its chair, topics and types,
N submitted papers with three submitted reviews each (score and confidence), an area chair
per paper, a decision on every fourth paper, a meta-review and a flagged PDF here and
there, and two outbox mails per paper. Shared by the desk's test modules."""

from __future__ import annotations

from dataclasses import dataclass

from reviews.models import (
    Answer,
    Assignment,
    Decision,
    MetaReview,
    Review,
    ReviewQuestion,
    ReviewStatus,
)
from reviews.services.decisions import default_categories_create
from reviews.services.reviewing import default_form_create
from reviews.services.scores import paper_scores_refresh
from submissions.models import Submission, SubmissionFile, SubmissionType
from tests.factories import MembershipFactory, TopicFactory, UserFactory, make_chair
from workshop.models import OutgoingMail, Role, Topic, User, Workshop


@dataclass
class Desk:
    workshop: Workshop
    chair: User
    papers: list[Submission]
    topics: list[Topic]
    types: list[SubmissionType]
    reviewers: list[User]
    area_chairs: list[User]
    questions: dict[str, ReviewQuestion]


def desk_build(workshop: Workshop, papers: int, *, scores=None) -> Desk:  # type: ignore[no-untyped-def]
    """`scores(i)` gives paper i's three recommendation scores (default: a fixed cycle)."""
    slug = workshop.slug
    chair = make_chair(workshop, name=f"Chair of {slug}", email=f"chair@{slug}.example.org")
    topics = [TopicFactory(workshop=workshop, name=n) for n in ("Data and licensing", "Safety")]
    types = [
        SubmissionType.objects.create(workshop=workshop, name="Long paper", page_limit=8),
        SubmissionType.objects.create(workshop=workshop, name="Short paper", page_limit=4),
    ]
    reviewers = [
        UserFactory(name=f"Reviewer {slug} {i}", email=f"r{i}@{slug}-lab{i}.org", verified=False)
        for i in range(6)
    ]
    area_chairs = [
        UserFactory(name=name, email=f"{name.split()[0].lower()}@{slug}-ac.org", verified=False)
        for name in ("Alan Turing", "Grace Hopper")
    ]
    for user in reviewers:
        MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
    for user in area_chairs:
        MembershipFactory(workshop=workshop, user=user, role=Role.AREA_CHAIR)
    questions = {q.label: q for q in default_form_create(workshop)}
    rec = next(q for q in questions.values() if q.is_recommendation)
    conf = next(q for q in questions.values() if q.is_confidence)
    categories = default_categories_create(workshop)
    owner = UserFactory(email=f"owner@{slug}-authors.org", verified=False)
    start = workshop.submissions.count()
    rows = Submission.objects.bulk_create(
        Submission(
            workshop=workshop, number=start + i + 1, created_by=owner, status="submitted",
            title=f"Paper {i} on {'distillation' if i % 3 == 0 else 'evaluation'}",
            keywords="open weights", primary_topic=topics[i % 2], submission_type=types[i % 2],
        )
        for i in range(papers)
    )  # fmt: skip
    scores = scores or (lambda i: (1 + i % 5, 1 + (i + 2) % 5, 3))
    assignments = []
    for i, paper in enumerate(rows):
        for k in range(3):
            assignments.append(
                Assignment(submission=paper, reviewer=reviewers[(i + k) % 6], pseudonym="ABC"[k])
            )
        assignments.append(
            Assignment(submission=paper, reviewer=area_chairs[i % 2], role=Role.AREA_CHAIR)
        )
    assignments = Assignment.objects.bulk_create(assignments)
    reviews = Review.objects.bulk_create(
        Review(assignment=a, status=ReviewStatus.SUBMITTED, version=1)
        for a in assignments
        if a.role == Role.REVIEWER
    )
    answers = []
    for j, review in enumerate(reviews):
        i, k = divmod(j, 3)
        answers.append(Answer(review=review, question=rec, value=scores(i)[k]))
        answers.append(Answer(review=review, question=conf, value=1 + (i + k) % 5))
    Answer.objects.bulk_create(answers)
    paper_scores_refresh(p.pk for p in rows)  # bulk writes bypass the review services
    Decision.objects.bulk_create(
        Decision(submission=p, category=categories[2], decided_by=chair) for p in rows[::4]
    )
    Submission.objects.filter(pk__in=[p.pk for p in rows[::4]]).update(status="rejected")
    MetaReview.objects.bulk_create(
        MetaReview(submission=p, author=area_chairs[0], recommendation="accept") for p in rows[::5]
    )
    for p in rows[::7]:
        stored = SubmissionFile.objects.create(
            submission=p, kind="paper", file=f"{p.pk}.pdf", sha256="0" * 64, size=10,
            uploaded_by=owner, anonymity_flag=True,
        )  # fmt: skip
        Submission.objects.filter(pk=p.pk).update(paper=stored)
    OutgoingMail.objects.bulk_create(
        OutgoingMail(
            key=f"desk:{slug}:{p.pk}:{k}", workshop=workshop, to=f"a{p.pk}@x.org",
            kind="submission_received", subject=f"Your paper #{p.number} “{p.title}” arrived",
            body_text="Hello.", status="sent", submission_id=p.pk,
        )
        for p in rows
        for k in range(2)
    )  # fmt: skip
    return Desk(workshop, chair, rows, topics, types, reviewers, area_chairs, questions)
