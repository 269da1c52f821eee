"""One aggregation of review scores (issue 22): `reviews.selectors.scores` alone decides
which answers are a paper's scores and how they are averaged; the board, the progress page,
the area chairs' console, the plots and the stored `PaperScore` all read it, and a boolean
answer is a score for none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import TestCase

from reviews.models import Answer, PaperScore
from reviews.plots import plot_data
from reviews.selectors.board import board_rows
from reviews.selectors.progress import review_progress
from reviews.selectors.reviewing import area_chair_console
from reviews.selectors.scores import Scores, score_value
from reviews.services.reviewing import review_submit
from reviews.services.scores import paper_scores_refresh
from tests.reviews.conftest import World

ROOT = Path(__file__).resolve().parents[2]
APPS = ("workshop", "submissions", "reviews", "programme", "transfer", "api")
OWNER = ROOT / "reviews" / "selectors" / "scores.py"
OVERALL = "Overall recommendation"  # the default form's recommendation question
# Lookups that pick the score answers out of the reviews (from Answer, or through a join).
SCORE_LOOKUPS = ("question__is_recommendation", "question__is_confidence", "answers__value")
# Averages taken in Python or in SQL.
AVERAGES = {"mean", "fmean", "median", "Avg", "StdDev", "Variance"}


def _names_read(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
        for a in n.names
    }  # fmt: skip


def aggregations_in(path: Path) -> list[str]:
    """Where a module selects score answers itself, or averages where it reads answers."""
    tree = ast.parse(path.read_text(), filename=str(path))
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    found = []
    reads_answers = "Answer" in _names_read(tree)
    for node in ast.walk(tree):
        texts = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.keyword) and node.arg:
            texts.append(node.arg)
        if any(lookup in text for text in texts for lookup in SCORE_LOOKUPS):
            found.append(f"{where}:{node.lineno}: selects score answers")
        if reads_answers and isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in AVERAGES:
                found.append(f"{where}:{node.lineno}: averages answers ({name})")
    return sorted(found, key=lambda hit: int(hit.split(":")[1]))


def app_modules() -> list[Path]:
    files = [p for app in APPS for p in (ROOT / app).rglob("*.py")]
    return sorted(p for p in files if "migrations" not in p.parts and p != OWNER)


def test_no_module_but_the_scores_selector_aggregates_review_scores():
    files = app_modules()
    assert len(files) > 100 and OWNER.exists()
    found = [hit for path in files for hit in aggregations_in(path)]
    assert not found, "Review scores aggregated outside reviews/selectors/scores.py:\n" + (
        "\n".join(found)
    )


def test_the_check_finds_an_aggregation(tmp_path):
    sample = tmp_path / "figures.py"
    sample.write_text(
        "from statistics import mean\n"
        "from reviews.models import Answer\n"
        "def figures(ids):\n"
        "    rows = Answer.objects.filter(question__is_recommendation=True)\n"
        "    also = Answer.objects.values_list('question__is_confidence')\n"
        "    return mean(a.value for a in rows)\n"
    )
    assert [hit.split(":")[1] for hit in aggregations_in(sample)] == ["4", "5", "6"]
    # The owner itself does what the check forbids elsewhere (the check reads it right).
    assert aggregations_in(OWNER)


@pytest.mark.parametrize(
    "value, score", [(4, 4), (2.5, 2.5), (0, 0), (True, None), (False, None), ("4", None),
                     (None, None), ([4], None)],
)  # fmt: skip
def test_only_a_number_is_a_score(value, score):
    assert score_value(value) == score and (score is None) is (score_value(value) is None)


def test_the_figures_of_scores():
    scores = Scores(scores=[4, 1, 3], confidences=[4, 2, None])
    assert (scores.mean, scores.median, scores.low, scores.high) == (8 / 3, 3, 1, 4)
    assert scores.spread == 3 and scores.disagreement
    assert scores.weighted == (4 * 4 + 1 * 2) / 6  # the score without a confidence left out
    scores.sort()
    assert scores.scores == [1, 3, 4] and scores.confidences == [2, None, 4]
    empty = Scores()
    assert (empty.mean, empty.median, empty.spread, empty.weighted) == (None, None, 0, None)


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def test_a_boolean_answer_is_no_score_anywhere(world):
    """R1's recommendation (4) is turned into `true` (as a form or an import gone wrong
    could store it); R2 submits a 2 with confidence 2. Every reader sees the one score 2."""
    p = world.p
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(
            assignment=world.assignments["R2-draft"], user=world.users["R2-draft"],
            answers=world.full_answers(Overall=2, Confidence=2),
        )  # fmt: skip
    overall = world.questions[
        next(label for label in world.questions if label.startswith("Overall"))
    ]
    changed = Answer.objects.filter(
        review__assignment=world.assignments["R1-submitted"], question=overall
    ).update(value=True)
    assert changed == 1
    paper_scores_refresh([p.pk])

    stored = PaperScore.objects.get(submission=p)
    assert (stored.done, stored.count, stored.mean, stored.weighted) == (2, 1, 2.0, 2.0)
    (row,) = board_rows([p.pk], required=None)
    assert (row.scores, row.mean, row.weighted, row.spread) == ([2], 2, 2, 0)
    progress = next(x for x in review_progress(world.workshop).papers if x.submission == p)
    assert (progress.submitted, progress.scores, progress.mean) == (2, [2], 2)
    (group,) = area_chair_console(world.users["AC-of-P"])
    (console_row,) = group.rows
    assert (console_row.scores, console_row.mean, console_row.disagreement) == ([2], 2, False)
    assert plot_data(world.workshop).paper_means == {p.pk: 2.0}
