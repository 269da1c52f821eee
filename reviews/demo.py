"""Demo data of the reviews app: reviewer profiles and bids in the bidding-phase workshop."""

from __future__ import annotations

import random

from django.utils import timezone

from submissions.models import Submission, SubmissionStatus
from workshop.demo import bidding_dates
from workshop.models import Role, Topic, User, Workshop
from workshop.policy import SYSTEM

from .models import Bid, BidValue, ExpertiseLevel, Publication, ReviewerProfile, TopicExpertise
from .selectors.conflicts import conflicted_submission_ids
from .services.expertise import publication_add

EXPERTISE_TEXTS = {
    "reviewer1@example.org": "Scaling laws for small language models\n"
    "Distillation of instruction-following models for mobile devices\n"
    "Quantisation-aware training with outlier channels",
    "reviewer2@example.org": "Reproducible evaluation harnesses for language models\n"
    "LLM-as-a-judge: agreement with human raters on open benchmarks",
    "reviewer3@example.org": "Curating multilingual pre-training corpora\n"
    "Deduplication and contamination detection in web-scale datasets",
    "reviewer4@example.org": "Red-teaming chat assistants\nRefusal behaviour and jailbreaks",
}


# The reviewer the README's bidding walk signs in as: left with every bid still to place.
BIDDING_WALK_REVIEWER = "reviewer2@example.org"


# Publications of demo reviewers (their expertise); reviews/expertise/data/demo-reviewer.bib
# is a list a demo reviewer can import on their profile to see the bidding list change.
DEMO_PUBLICATIONS = {
    "reviewer1@example.org": (
        (
            "Scaling laws for small language models",
            2024,
            "Compute-optimal training of models under one billion parameters.",
        ),
        (
            "Distillation of instruction-following models for mobile devices",
            2023,
            "Distilling large teachers into small on-device students.",
        ),
    ),
    "reviewer2@example.org": (
        (
            "Reproducible evaluation harnesses for language models",
            2024,
            "Seeds, prompts and judges: making open model evaluation reproducible.",
        ),
    ),
    "reviewer4@example.org": (
        (
            "Red-teaming chat assistants",
            2023,
            "Adversarial prompts, refusal behaviour and jailbreaks of open chat models.",
        ),
    ),
}


def shift_to_bidding(workshop: Workshop) -> None:
    """Move a workshop's milestones so that it is in its bidding phase now."""
    for field, value in bidding_dates(timezone.now().replace(microsecond=0)).items():
        setattr(workshop, field, value)
    workshop.save()


def seed_committee(workshop: Workshop, *, with_bids: bool) -> None:
    """Profiles for every reviewer and, optionally, bids from most of them (seeded, stable)."""
    rng = random.Random(workshop.slug)
    topics = list(Topic.objects.filter(workshop=workshop))
    reviewers = User.objects.filter(
        memberships__workshop=workshop, memberships__role=Role.REVIEWER
    ).order_by("email")
    papers = list(Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED))
    for index, user in enumerate(reviewers):
        profile, created = ReviewerProfile.objects.get_or_create(workshop=workshop, user=user)
        if not created:
            continue
        if index == len(reviewers) - 1:
            continue  # one reviewer left with an empty profile, to show the nudge
        profile.expertise_text = EXPERTISE_TEXTS.get(user.email, "")
        profile.save()
        for title, year, abstract in DEMO_PUBLICATIONS.get(user.email, ()):
            if not Publication.objects.filter(user=user, title=title).exists():
                publication_add(actor=SYSTEM, owner=user, title=title, year=year,
                                abstract=abstract, authors=user.name)  # fmt: skip
        TopicExpertise.objects.bulk_create(
            TopicExpertise(
                profile=profile,
                topic=t,
                level=rng.choice(
                    [ExpertiseLevel.EXPERT, ExpertiseLevel.KNOWLEDGEABLE, ExpertiseLevel.NONE]
                ),
            )
            for t in topics
        )
        if not with_bids or index >= 5 or user.email == BIDDING_WALK_REVIEWER:
            continue  # the README's bidding walk starts with this reviewer's bids to place
        conflicted = conflicted_submission_ids(workshop, user)
        for paper in papers:
            if paper.pk in conflicted or rng.random() < 0.3:
                continue
            Bid.objects.get_or_create(
                submission=paper,
                user=user,
                defaults={
                    "value": rng.choice(
                        [BidValue.EAGER, BidValue.WILLING, BidValue.NEUTRAL, BidValue.NOT_WILLING]
                    )
                },
            )


def shift_to_reviewing(workshop: Workshop) -> None:
    from workshop.demo import reviewing_dates

    for field, value in reviewing_dates(timezone.now().replace(microsecond=0)).items():
        setattr(workshop, field, value)
    workshop.save()


DEMO_REVIEW = {
    "Summary": "The paper proposes {topic} and evaluates it on open benchmarks.",
    "Strengths": "- Clear motivation\n- All code and data are released\n- Careful ablations",
    "Weaknesses": "- The baselines are a little old\n- The effect size $\\Delta$ is small",
    "Questions for the authors": "How sensitive are the results to the random seed?",
    "Confidential comment to the chairs": "",
}


def seed_reviews(workshop: Workshop, *, complete: bool = False) -> None:
    """Review form, a committed assignment, an area chair, some reviews and a comment."""
    from django.test import TestCase

    from .models import Assignment, MatchMode, QuestionKind, ReviewStatus
    from .services.assignment import assignment_add, matching_run_commit, matching_run_create
    from .services.reviewing import (
        comment_post,
        default_form_create,
        review_save_draft,
        review_submit,
    )

    questions = default_form_create(workshop)
    if Assignment.objects.filter(submission__workshop=workshop).exists():
        return
    chair = User.objects.get(email="chair@example.org")
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = matching_run_create(
            workshop=workshop,
            chair=chair,
            mode=MatchMode.MAX_TOTAL,
            parameters={"reviews_per_paper": 3, "weights": {"bid": 1, "topic": 0.5, "text": 1}},
        )
    run.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        matching_run_commit(run=run, chair=chair)
    area_chair = User.objects.get(email="ac@example.org")
    for paper in Submission.objects.filter(workshop=workshop).order_by("number"):
        assignment_add(submission=paper, reviewer=area_chair, chair=chair, role=Role.AREA_CHAIR)
    rng = random.Random(workshop.slug)
    assignments = list(
        Assignment.objects.filter(submission__workshop=workshop, role=Role.REVIEWER)
        .select_related("submission__primary_topic", "reviewer")
        .order_by("submission__number", "pseudonym")
    )
    for index, a in enumerate(assignments):
        if not complete and (a.reviewer.email == "reviewer1@example.org" or index % 3 == 2):
            continue  # leave reviewer1 (the demo login) and some others something to do
        answers = {}
        for q in questions:
            if q.kind == QuestionKind.SCORE:
                answers[q.pk] = rng.choice([2, 3, 4, 5] if not q.is_confidence else [3, 4, 5])
            else:
                template = DEMO_REVIEW.get(q.label, "")
                answers[q.pk] = template.format(topic=str(a.submission.primary_topic).lower())
        with TestCase.captureOnCommitCallbacks(execute=True):
            if index % 5 == 4 and not complete:
                review_save_draft(assignment=a, user=a.reviewer, answers=answers)
            else:
                # Every third submitted review is signed: open reviewing shows both kinds.
                review_submit(assignment=a, user=a.reviewer, answers=answers,
                              signed=index % 3 == 0)  # fmt: skip
    first = next(
        (
            a
            for a in assignments
            if hasattr(a, "review") and a.review.status == ReviewStatus.SUBMITTED
        ),
        None,
    )
    if first is not None:
        with TestCase.captureOnCommitCallbacks(execute=True):
            comment_post(
                submission=first.submission,
                user=first.reviewer,
                body="I am positive overall, but @Reviewer B, did you check the seeds?",
            )
    from .demo_tags import seed_tags_votes

    seed_tags_votes(workshop)
    if not complete:
        from .demo_external import seed_external

        seed_external(workshop)


def seed_decided(workshop: Workshop) -> None:
    """Reviews all in, decisions taken and released, reviews released, one camera-ready."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import TestCase

    from submissions.demo import demo_pdf
    from submissions.services.camera_ready import camera_ready_update, camera_ready_upload
    from workshop.demo import decided_dates

    from .models import Decision, Outcome
    from .services.decisions import (
        category_for,
        decision_mails_compose,
        decision_record,
        decisions_release,
        reviews_release,
    )

    if Decision.objects.filter(submission__workshop=workshop).exists():
        return
    seed_reviews(workshop, complete=True)
    for field, value in decided_dates(timezone.now().replace(microsecond=0)).items():
        setattr(workshop, field, value)
    workshop.save()
    chair = User.objects.get(email="chair@example.org")
    papers = list(Submission.objects.filter(workshop=workshop).order_by("number"))
    outcomes = [Outcome.ACCEPT, Outcome.ACCEPT, Outcome.REJECT]
    with TestCase.captureOnCommitCallbacks(execute=True):
        for index, paper in enumerate(papers):
            category = category_for(workshop, outcomes[index % 3])
            decision_record(submission=paper, category=category, chair=chair)
        decision_mails_compose(workshop=workshop, chair=chair, include_reviews=True)
        decisions_release(workshop=workshop, chair=chair)
        reviews_release(workshop=workshop, chair=chair)
    workshop.refresh_from_db()
    first = papers[0]
    first.refresh_from_db()
    author = User.objects.get(email=first.authors.filter(is_contact=True).first().email)
    with TestCase.captureOnCommitCallbacks(execute=True):
        upload = SimpleUploadedFile("final.pdf", demo_pdf(first.title, pages=5), "application/pdf")
        camera_ready_upload(submission=first, user=author, upload=upload)
        camera_ready_update(
            submission=first,
            user=author,
            title=first.title,
            abstract=first.abstract,
            keywords=first.keywords,
            licence="CC-BY-4.0",
            accept_terms=True,
        )
