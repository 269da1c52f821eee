"""The fit explanation: on the bidding list (to the reviewer) and in the assignment preview
(to the chair). A reviewer never sees their excluded publications in it, nor any author
identity in a double-blind workshop (the paper's authors, or the co-authors of their own
publications); the chair sees every part of each proposed pair."""

from __future__ import annotations

from django.urls import reverse

from reviews.services.expertise import publication_add, publication_set_excluded
from tests.reviews.assignment_world import MARK, RUN_PAGE, member, paper, start_run

EXCLUDED_TITLE = "ZZEXCLUDED multilingual deduplication of web corpora"
COAUTHOR = "Zora ZZCOAUTHORNAME"


def _setup(workshop, owner):
    decoding = paper(
        workshop,
        owner,
        "Speculative decoding with draft models",
        abstract="Draft models make speculative decoding fast.",
    )
    corpora = paper(
        workshop,
        owner,
        "Deduplicating multilingual web corpora",
        abstract="Near-duplicate detection in multilingual web data.",
    )
    rita = member(workshop, "rita", "Rita Reviewer", text="")
    publication_add(
        actor=rita,
        owner=rita,
        title="Speculative decoding for small devices",
        year=2024,
        authors=f"Rita Reviewer; {COAUTHOR}",
        venue="ZZVENUE Workshop",
    )
    publication_add(actor=rita, owner=rita, title="Draft models that decode quickly", year=2022)
    excluded = publication_add(
        actor=rita,
        owner=rita,
        title=EXCLUDED_TITLE,
        year=2023,
        authors=f"Rita Reviewer; {COAUTHOR}",
    )
    publication_set_excluded(actor=rita, publication=excluded, excluded=True)
    return rita, decoding, corpora


def test_bidding_list_explains_the_fit_without_excluded_papers_or_identities(
    client,
    workshop,
    owner,
):
    assert workshop.double_blind if hasattr(workshop, "double_blind") else True
    rita, decoding, corpora = _setup(workshop, owner)
    client.force_login(rita)
    response = client.get(reverse("reviews:bids", args=[workshop.slug]))
    html = response.content.decode()
    rows = {r.submission.pk: r for r in response.context["page"].rows}
    explain = rows[decoding.pk].explain
    assert {m["title"] for m in explain.publications} == {
        "Speculative decoding for small devices",
        "Draft models that decode quickly",
    }
    assert explain.text > 0 and explain.topic == 0 and explain.embedding is None
    assert "Why this fit" in html and "Speculative decoding for small devices (2024)" in html
    # the excluded publication matches the other paper best, yet is never used nor shown
    assert all(EXCLUDED_TITLE not in str(r.explain.publications) for r in rows.values())
    assert rows[corpora.pk].explain.text < explain.text
    assert "ZZEXCLUDED" not in html
    for marker in (MARK, "ZZCOAUTHORNAME", "ZZVENUE"):
        assert marker.lower() not in html.lower(), marker


def test_the_assignment_preview_explains_each_pair_to_the_chair(
    client,
    workshop,
    owner,
    chair,
):
    _setup(workshop, owner)
    member(workshop, "sam", "Sam Second", text="multilingual corpora")
    member(workshop, "tia", "Tia Third", text="")
    client.force_login(chair)
    run = start_run(client, workshop)
    html = client.get(reverse(RUN_PAGE, args=[run.pk])).content.decode()
    assert "<strong>Rita Reviewer</strong>" in html
    assert (
        "closest publications: “" in html
        and "“Speculative decoding for small devices” (2024)" in html
    )
    assert "topic 0.0, text" in html and "bid none" in html
    assert "ZZEXCLUDED" not in html
