"""Demo data of the reviews app: reviewer profiles and bids in the bidding-phase workshop."""

from __future__ import annotations

import random

from django.utils import timezone

from submissions.models import Submission
from workshop.demo import bidding_dates
from workshop.models import Role, Topic, User, Workshop

from .conflicts import conflicted_submission_ids
from .models import Bid, BidValue, ExpertiseLevel, ReviewerProfile, TopicExpertise

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
    papers = list(Submission.objects.filter(workshop=workshop, status="submitted"))
    for index, user in enumerate(reviewers):
        profile, created = ReviewerProfile.objects.get_or_create(workshop=workshop, user=user)
        if not created:
            continue
        if index == len(reviewers) - 1:
            continue  # one reviewer left with an empty profile, to show the nudge
        profile.expertise_text = EXPERTISE_TEXTS.get(user.email, "")
        profile.save()
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
        if not with_bids or index >= 5:
            continue
        conflicted = conflicted_submission_ids(workshop, user)
        for paper in papers:
            if paper.pk in conflicted or rng.random() < 0.3:
                continue
            Bid.objects.get_or_create(
                submission=paper,
                user=user,
                defaults={"value": rng.choice([BidValue.EAGER, BidValue.WILLING,
                                               BidValue.NEUTRAL, BidValue.NOT_WILLING])},
            )  # fmt: skip
