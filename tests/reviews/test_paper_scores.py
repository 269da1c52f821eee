"""Each paper's stored review figures (`PaperScore`) follow every action that changes them,
and equal what the board computes from the reviews themselves (issue 12: searches, score
sorts and totals read the stored figures)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import TestCase

from reviews.models import PaperScore
from reviews.selectors.board import board_rows
from reviews.services.assignment import assignment_add, assignment_remove
from reviews.services.reviewing import assignment_decline, review_submit
from reviews.services.scores import paper_scores_rebuild
from tests.factories import MembershipFactory, UserFactory
from workshop.models import Role

from .conftest import build_world

pytestmark = pytest.mark.django_db


def stored(paper) -> tuple:
    s = PaperScore.objects.get(submission=paper)
    return (s.assigned, s.done, s.count, s.mean, s.median, s.low, s.high, s.spread, s.weighted)


def computed(paper) -> tuple:
    (row,) = board_rows([paper.pk], required=None)
    return (
        row.assigned, row.done, len(row.scores), row.mean, row.median, row.low, row.high,
        row.spread if row.scores else None, row.weighted,
    )  # fmt: skip


def test_the_figures_follow_submit_update_decline_add_and_remove(cached_deep_check):
    world = build_world()
    p, chair = world.p, world.users["chair-A"]
    # The world: R1 submitted (4, confidence 4), R2 a draft, R3 not started.
    assert stored(p) == computed(p)
    assert stored(p)[:4] == (3, 1, 1, 4.0)

    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(
            assignment=world.assignments["R2-draft"], user=world.users["R2-draft"],
            answers=world.full_answers(Overall=1, Confidence=2),
        )  # fmt: skip
    assert stored(p) == computed(p)
    assert stored(p)[1:] == (2, 2, 2.5, 2.5, 1.0, 4.0, 3.0, (4 * 4 + 1 * 2) / 6)

    # An update of a submitted review moves the figures too.
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(
            assignment=world.assignments["R2-draft"], user=world.users["R2-draft"],
            answers=world.full_answers(Overall=2, Confidence=2),
        )  # fmt: skip
    assert stored(p)[3] == 3.0 and stored(p) == computed(p)

    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_decline(assignment=world.assignments["R3-not-started"],
                           user=world.users["R3-not-started"], reason="Too busy")  # fmt: skip
    assert stored(p)[0] == 2 and stored(p) == computed(p)

    newcomer = UserFactory(name="Nia Newcomer")
    MembershipFactory(workshop=world.workshop, user=newcomer, role=Role.REVIEWER)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_add(submission=p, reviewer=newcomer, chair=chair)
    assert stored(p)[0] == 3 and stored(p) == computed(p)

    # Removing a reviewer with a submitted review takes the review and its score away.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_remove(assignment=world.assignments["R2-draft"], chair=chair)
    assert stored(p)[1:4] == (1, 1, 4.0) and stored(p) == computed(p)


def test_a_rebuild_repairs_figures_written_around_the_services(cached_deep_check):
    world = build_world()
    PaperScore.objects.filter(submission=world.p).update(mean=1.0, done=0)
    assert stored(world.p) != computed(world.p)
    assert paper_scores_rebuild(world.workshop) == world.workshop.submissions.count()
    assert stored(world.p) == computed(world.p)
    PaperScore.objects.all().delete()
    call_command("paper_scores_rebuild", "--workshop", world.workshop.slug, verbosity=0)
    assert stored(world.p) == computed(world.p)
    assert stored(world.q) == computed(world.q) == (0, 0, 0, None, None, None, None, None, None)


def test_changing_which_question_is_the_recommendation_recomputes_the_figures(cached_deep_check):
    """`review_question_save` is the one way the form changes (the admin calls it): when
    the score flags move, the stored figures follow in the same transaction."""
    from reviews.services.reviewing import review_question_save

    world = build_world()
    p, chair = world.p, world.users["chair-A"]
    overall = world.workshop.review_questions.get(is_recommendation=True)
    assert stored(p)[2:4] == (1, 4.0)  # R1's overall merit
    overall.is_recommendation = False  # no question is the score any more
    review_question_save(actor=chair, question=overall)
    assert stored(p) == computed(p)
    assert stored(p)[2:4] == (0, None)
    overall.is_recommendation = True
    review_question_save(actor=chair, question=overall)
    assert stored(p)[2:4] == (1, 4.0) and stored(p) == computed(p)
    assert world.workshop.activity.filter(action="reviewquestion.configure").count() == 2
