"""The offline evaluation: the pairwise-ordering loss against a hand computation, the
command's output and its errors on broken files."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from reviews.expertise.evaluation import EvaluationFileError, load, ordering_loss

SMALL = Path(__file__).parent.parent / "data" / "affinity_eval_small.json"
SHIPPED = Path(__file__).parent.parent.parent / "reviews/expertise/data/eval-synthetic.json"


def test_loss_of_a_given_score_matrix_by_hand():
    # reviewer 0 rates papers 0, 1, 2 as 5, 4, 3; the model orders 0 > 2 > 1
    ratings = [(0, 0, 5), (0, 1, 4), (0, 2, 3)]
    scores = np.array([[0.9], [0.1], [0.5]])
    # pairs (0,1) w1 right, (0,2) w2 right, (1,2) w1 wrong -> 1 / 4
    assert ordering_loss(ratings, scores) == (pytest.approx(0.25), 1)
    # a tie counts half: papers 1 and 2 tied -> 0.5 / 4
    tied = np.array([[0.9], [0.5], [0.5]])
    assert ordering_loss(ratings, tied)[0] == pytest.approx(0.125)
    # equal ratings are no pair; a reviewer with no pair is not counted
    assert ordering_loss([(0, 0, 3), (0, 1, 3)], scores) == (0.5, 0)


def test_the_command_on_the_small_file_matches_the_hand_computation():
    """ana: p1 (5) and p3 (3) share words with her paper, p2 (4) none: the pair (p2, p3),
    weight 1, is ordered wrongly of total weight 1 + 2 + 1 -> 0.25. ben: p2 (5) is his
    paper, p1 and p3 (1) share nothing -> 0. cyd has no publications: every score ties,
    so one pair of weight 2 counts half -> 0.5. Mean: (0.25 + 0 + 0.5) / 3 = 0.25."""
    out = StringIO()
    call_command("affinity_eval", str(SMALL), stdout=out)
    line = json.loads(out.getvalue().splitlines()[0])
    assert line["loss"] == pytest.approx(0.25)
    assert line["reviewers"] == 3 and line["chosen"] is True


def test_variants_are_measured_on_the_shipped_synthetic_file():
    out = StringIO()
    call_command("affinity_eval", str(SHIPPED), "--variants", "--year", "2025", stdout=out)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(lines) > 5 and sum(x["chosen"] for x in lines) == 1
    assert all(0.0 <= x["loss"] < 0.5 and x["reviewers"] == 40 for x in lines)
    by_name = {x["variant"]: x["loss"] for x in lines}
    # stemming helps on this file once recency is on (the inflected forms share stems)
    assert by_name["concat, half-life 3y, stemmed"] < by_name["concat, half-life 3y, not stemmed"]


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
