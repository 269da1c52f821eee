"""The offline evaluation: the published (pooled) pairwise-ordering loss against hand
computations and a direct computation, quarter-step ratings, easy/hard accuracies, the
seeded bootstrap, the command's output and its errors on broken files."""

from __future__ import annotations

import json
from fractions import Fraction
from io import StringIO
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from reviews.expertise.evaluation import EvaluationFileError, load, measure, text_scores
from reviews.expertise.text import DEFAULT_COMBINE

DATA = Path(__file__).parent.parent / "data"
SMALL = DATA / "affinity_eval_small.json"
QUARTERS = DATA / "affinity_eval_quarters.json"
SHIPPED = Path(__file__).parent.parent.parent / "reviews/expertise/data/eval-synthetic.json"


def command(*args: str) -> list[dict]:
    out = StringIO()
    call_command("affinity_eval", *args, stdout=out)
    return [json.loads(x) for x in out.getvalue().splitlines()]


def direct_loss(ratings, scores) -> tuple[float, float]:
    """The definition read straight (every pair of every reviewer; a rating tie weighs
    nothing, a score tie half), exact in fractions: (pooled, mean of the reviewers')."""
    by_reviewer: dict[int, dict[int, Fraction]] = {}
    for r, p, level in ratings:
        by_reviewer.setdefault(r, {})[p] = Fraction(level)
    wrong_all = total_all = Fraction(0)
    own = []
    for r, rated in by_reviewer.items():
        wrong = total = Fraction(0)
        for p1, p2 in combinations(rated, 2):
            true = rated[p1] - rated[p2]
            pred = Fraction(float(scores[p1, r])) - Fraction(float(scores[p2, r]))
            total += abs(true)
            if pred * true == 0:
                wrong += abs(true) / 2
            elif pred * true < 0:
                wrong += abs(true)
        wrong_all += wrong
        total_all += total
        if total:
            own.append(wrong / total)
    return float(wrong_all / total_all), float(sum(own) / len(own))


def test_pooled_loss_of_a_given_score_matrix_by_hand():
    # reviewer 0 rates papers 0, 1, 2 as 5, 4, 3; the model orders 0 > 2 > 1
    ratings = [(0, 0, 5), (0, 1, 4), (0, 2, 3), (1, 0, 2), (1, 1, 4.5)]
    scores = np.array([[0.9, 0.3], [0.1, 0.3], [0.5, 0.0]])
    m = measure(ratings, scores)
    # reviewer 0: (0,1) w1 right, (0,2) w2 right, (1,2) w1 wrong -> 1 of 4;
    # reviewer 1: one pair of weight 2.5, scores tied -> 1.25 of 2.5
    assert m.loss == pytest.approx((1 + 1.25) / (4 + 2.5), abs=1e-12)
    assert m.per_reviewer == pytest.approx((0.25 + 0.5) / 2, abs=1e-12)
    assert (m.reviewers, m.pairs) == (2, 4)
    # equal ratings are no pair; with no pair at all the loss is chance
    assert measure([(0, 0, 3), (0, 1, 3)], scores).reviewers == 0


def test_quarter_ratings_file_agrees_with_the_direct_computation():
    """ana's publication is p1: p1 scores above p2, p3, p4, which tie at 0. Pairs (weight):
    p1>p2 (3) p1>p3 (2.5) p1>p4 (1.25) right; p3>p2 (0.5), p4>p2 (1.75), p4>p3 (1.25)
    tied -> 1.75 of 10.25. ben's is p4 (15 years old: it still counts): p1>p4 (2.75) wrong,
    p1>p2 (3.25) tied, p4>p2 (0.5) right -> 4.375 of 6.5. cyd has none: p1>p3 (0.5) tied
    -> 0.25 of 0.5. Pooled 6.375 / 17.25; per reviewer the mean of the three shares.
    Easy pairs: ana p1/p2 right, ben p1/p4 and p1/p2 not -> 1 of 3; hard: cyd's, tied, 0/1."""
    data = load(QUARTERS.read_bytes())
    assert sorted({level for _, _, level in data.ratings}) == [
        1.0, 1.5, 1.75, 2.25, 3.5, 4.25, 4.5, 4.75, 5.0,
    ]  # fmt: skip
    scores = text_scores(data, DEFAULT_COMBINE)
    pooled, mean = direct_loss(data.ratings, scores)
    assert pooled == pytest.approx(6.375 / 17.25, abs=1e-12)
    assert mean == pytest.approx((1.75 / 10.25 + 4.375 / 6.5 + 0.5) / 3, abs=1e-12)
    line = command(str(QUARTERS))[0]
    assert abs(line["loss"] - pooled) < 1e-9
    assert abs(line["per_reviewer"] - mean) < 1e-9
    assert line["pairs"] == 10 and line["reviewers"] == 3
    assert (line["easy"], line["easy_pairs"]) == (pytest.approx(1 / 3), 3)
    assert (line["hard"], line["hard_pairs"]) == (0.0, 1)


def test_the_small_file_pooled_and_per_reviewer():
    """ana: p2>p3 (weight 1) wrong of 1 + 2 + 1; ben: two pairs of weight 4 right, p1 = p3
    in rating is no pair; cyd has no publications, one pair of weight 2 tied -> 1. Pooled
    (1 + 0 + 1) / (4 + 8 + 2) = 1/7; the mean of the reviewers' (0.25 + 0 + 0.5) / 3."""
    line = command(str(SMALL))[0]
    assert line["loss"] == pytest.approx(1 / 7, abs=1e-12)
    assert line["per_reviewer"] == pytest.approx(0.25, abs=1e-12)
    assert line["reviewers"] == 3 and line["chosen"] is True


def test_the_bootstrap_is_seeded_and_brackets_the_loss():
    first = command(str(SHIPPED), "--bootstrap", "300", "--seed", "7")[0]
    again = command(str(SHIPPED), "--bootstrap", "300", "--seed", "7")[0]
    other = command(str(SHIPPED), "--bootstrap", "300", "--seed", "8")[0]
    assert first == again and first["ci95"] != other["ci95"]
    low, high = first["ci95"]
    assert low < first["loss"] < high and high - low < 0.2


def test_variants_are_measured_on_the_shipped_synthetic_file():
    lines = command(str(SHIPPED), "--variants", "--year", "2025", "--bootstrap", "50")
    assert len(lines) > 5 and sum(x["chosen"] for x in lines) == 1
    assert all(0.0 <= x["loss"] < 0.5 and x["reviewers"] == 40 for x in lines)
    by_name = {x["variant"]: x["loss"] for x in lines}
    # recency helps on this file (the reviewers' interests drift)
    assert by_name["concat, half-life 5y, stemmed"] < by_name["concat, no recency, stemmed"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"reviewers": [], "papers": [],\n "ratings": [}', "line 2"),
        (
            '{"reviewers": [{"id": "r"}], "papers": [], "ratings": '
            '[{"reviewer": "r", "paper": "x", "expertise": 3}]}',
            "unknown paper",
        ),
        (
            '{"reviewers": [{"id": "r"}], "papers": [{"id": "p", "title": "t"}], "ratings": '
            '[{"reviewer": "r", "paper": "p", "expertise": 9}]}',
            "1-5",
        ),
        (
            '{"reviewers": [{"id": "r"}], "papers": [{"id": "p", "title": "t"}], "ratings": '
            '[{"reviewer": "r", "paper": "p", "expertise": 4.1}]}',
            "quarter steps",
        ),
        (
            '{"reviewers": [{"id": "r"}], "papers": [{"id": "p", "title": "t"}], "ratings": '
            '[{"reviewer": "r", "paper": "p", "expertise": true}]}',
            "ratings\\[0\\]: expertise must be a number",
        ),
        (
            '{"reviewers": [{"id": "r"}], "papers": [{"id": "p", "title": "t"}], "ratings": '
            '[{"reviewer": "r", "paper": "p", "expertise": 4},'
            ' {"reviewer": "r", "paper": "p", "expertise": 4.5}]}',
            "ratings\\[1\\]: 'r' rated 'p' a second time",
        ),
        ('{"year": "2022", "reviewers": [], "papers": [], "ratings": []}', "year"),
        ("[]", "one JSON object"),
    ],
)
def test_broken_files_are_refused_with_the_place(text, message, tmp_path):
    with pytest.raises(EvaluationFileError, match=message):
        load(text)
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(CommandError, match=message):
        call_command("affinity_eval", str(path), stdout=StringIO())
