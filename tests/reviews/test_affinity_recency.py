"""Recency counts back from the workshop's submission deadline, never from today's date, and
never weighs a term down to nothing (issue 25, part 4)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from reviews.affinity import expertise_fit, paper_text
from reviews.expertise.text import Combine, Document, TextSpace, profile_scores, recency_weights
from reviews.selectors.committee import bidding_page
from reviews.selectors.matching import matching_input
from reviews.services.expertise import publication_add
from tests.reviews.assignment_world import member, paper

PAPERS = ["Speculative decoding with draft models", "Protein folding with lattice models"]
PROFILE = [
    [
        Document("Draft models for speculative decoding", 2024),
        Document("Lattice protein folding simulations", 1990),
    ]
]


def test_a_term_of_an_old_publication_still_counts():
    space = TextSpace(PAPERS)
    scores = profile_scores(
        space, PROFILE, combine=Combine("concat", half_life=5), reference_year=2026
    )
    # 36 years at a 5-year half-life: weight 0.5 ** 7.2 ~ 0.007; the old clipped logarithm
    # (1 + log 0.007 < 0) weighed every term of that publication zero
    assert recency_weights([1990], 5, 2026)[0] == pytest.approx(0.5**7.2)
    assert scores[1, 0] > 0
    assert scores[0, 0] > scores[1, 0]  # and the recent publication still counts more
    best = profile_scores(
        space, PROFILE, combine=Combine("best_k", k=2, half_life=5), reference_year=2026
    )
    assert best[1, 0] > 0


def test_scores_do_not_depend_on_the_calendar():
    """The reference is an input: the newest document's year when none is given, so the same
    data scores the same in any year; a workshop passes its own deadline's year."""
    space = TextSpace(PAPERS)
    combine = Combine("concat", half_life=5)
    implicit = profile_scores(space, PROFILE, combine=combine)
    assert np.array_equal(
        implicit, profile_scores(space, PROFILE, combine=combine, reference_year=2024)
    )
    earlier = profile_scores(space, PROFILE, combine=combine, reference_year=2010)
    assert not np.array_equal(implicit, earlier)  # the reference matters when it changes


def test_the_workshop_deadline_is_the_reference(workshop, owner, chair):
    workshop.paper_deadline = workshop.paper_deadline.replace(year=2016)
    workshop.submission_opens = workshop.paper_deadline - dt.timedelta(days=30)
    workshop.abstract_deadline = None
    workshop.save(update_fields=["paper_deadline", "submission_opens", "abstract_deadline"])
    papers = [paper(workshop, owner, title, abstract="") for title in PAPERS]
    rita = member(workshop, "rita", "Rita Reviewer", text="")
    for doc in PROFILE[0]:
        publication_add(actor=rita, owner=rita, title=doc.text, year=doc.year, abstract="")
    inst = matching_input(workshop)
    j = inst.reviewer_index()[rita.pk]
    texts = [paper_text(p.title, p.abstract, p.keywords) for p in papers]
    profile = [[Document(f"{d.text}\n", d.year) for d in PROFILE[0]]]
    deadline = expertise_fit(texts, profile, reference_year=2016).text
    later = expertise_fit(texts, profile, reference_year=2036).text
    assert not np.allclose(deadline, later)  # the reference year matters for this data
    rows = {r.submission.pk: r for r in bidding_page(workshop, rita).rows}
    for k, p in enumerate(papers):
        assert inst.parts["text"][inst.paper_index()[p.pk], j] == pytest.approx(deadline[k, 0])
        assert rows[p.pk].explain.text == pytest.approx(deadline[k, 0], abs=1e-3)
