"""Publication imports: every format on realistic samples (tests/data/expertise/, written
from each service's documented export), broken files (a line-numbered message, nothing
changed), duplicates across sources (merged by DOI or normalised title), the remembered
exclusion, manual entries, the activity log, and co-authors feeding the conflict selector."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from reviews.expertise.importers import detect, parse
from reviews.models import Publication
from reviews.selectors.conflicts import conflicts_for
from reviews.services.expertise import (
    publication_add,
    publication_delete,
    publication_for,
    publication_set_excluded,
    publication_update,
    publications_import,
)
from tests.factories import (
    AuthorshipFactory,
    MembershipFactory,
    SubmissionFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
)
from workshop.errors import NotAllowed, NotFound, ServiceError
from workshop.models import Activity, Role
from workshop.policy import SYSTEM

DATA = Path(__file__).parent.parent / "data" / "expertise"
DOI = "10.18653/v1/2023.acl-long.1"


def sample(name: str) -> str:
    return (DATA / name).read_text()


# --------------------------------------------------------------------------- parsing


def test_bibtex_resolves_strings_decodes_latex_and_splits_authors():
    result = parse(sample("scholar.bib"), "bibtex")
    assert not result.errors
    first, second = result.publications
    assert first.title == "Scaling Laws for Small Language Models"
    assert first.authors == ["Anna Müller", "Bob Smith", "Li Chen"]
    assert first.venue == "Proceedings of the Annual Meeting of the ACL"
    assert (first.year, first.doi, first.line) == (2023, DOI, 4)
    assert first.abstract.startswith("We fit scaling laws")
    assert second.authors == ["Anna Müller", "Dana Ode"]
    assert (second.year, second.url) == (2021, "https://example.org/quant")


def test_dblp_person_xml():
    result = parse(sample("dblp.xml"), "dblp")
    assert not result.errors
    acl, corr = result.publications
    assert acl.title == "Scaling Laws for Small Language Models"  # DBLP's final dot dropped
    assert acl.authors == ["Anna Müller", "Bob Smith", "Li Chen"]
    assert (acl.year, acl.venue, acl.doi, acl.line) == (2023, "ACL (1)", DOI, 6)
    assert corr.title == "Deduplicating multilingual web corpora"  # inline markup read
    assert corr.url == "https://arxiv.org/abs/2401.00001" and corr.doi == ""


def test_orcid_works_summary():
    result = parse(sample("orcid.json"), "orcid")
    assert not result.errors
    scaling, red = result.publications
    assert (scaling.doi, scaling.year, scaling.venue) == (DOI, 2023, "ACL 2023")
    assert scaling.line == 7  # the line its work-summary object opens on
    assert red.title == "Red-teaming chat assistants at scale" and red.year == 2022


def test_openreview_notes_api_1_and_2():
    result = parse(sample("openreview.json"), "openreview")
    assert not result.errors
    v2, v1 = result.publications
    assert v2.title == "Red-Teaming Chat Assistants at Scale"
    assert (v2.year, v2.venue) == (2023, "ICLR 2023 Workshop")
    assert v2.authors == ["Anna Müller", "Frank Osei"]
    assert v2.url == "https://openreview.net/forum?id=aBcD123"
    assert v1.title == "Refusal behaviour of instruction-tuned models" and v1.year == 2020


def test_semantic_scholar_author_papers():
    result = parse(sample("semantic_scholar.json"), "semantic_scholar")
    assert not result.errors
    scaling, contamination = result.publications
    assert (scaling.doi, scaling.year) == (DOI, 2023)
    assert scaling.authors == ["Anna Müller", "Bob Smith"]
    assert contamination.abstract == "" and contamination.year == 2020


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("scholar.bib", "bibtex"),
        ("dblp.xml", "dblp"),
        ("orcid.json", "orcid"),
        ("openreview.json", "openreview"),
        ("semantic_scholar.json", "semantic_scholar"),
    ],
)
def test_the_format_is_recognised(name, fmt):
    assert detect(sample(name)) == fmt


BROKEN = [
    (
        "bibtex",
        "@article{a,\n  title = {Fine},\n  year = 2020}\n\n@article{b,\n  title = {Open "
        "brace\n  year = 2021,\n\n@article{c, title={Fine too}}\n",
        "line 5",
    ),
    ("bibtex", "@article{a,\n  year = 2020\n}\n", "line 1: entry “a” has no title"),
    ("dblp", '<dblpperson name="x">\n<r><article key="k">\n<title>T</title>\n</r>\n', "line 4"),
    (
        "dblp",
        '<dblpperson name="x">\n<r>\n<article key="k"><year>2020</year></article>\n</r>\n'
        "</dblpperson>",
        "line 3",
    ),
    ("orcid", '{"group": [\n  {"work-summary": [{"title": null}]}\n]}', "line 2: a work has no"),
    ("openreview", '{"notes": [\n {"id": "x", "content": {"title": "A"}},\n', "line 3"),
    ("semantic_scholar", '{"data": [\n {"title": "A"},\n {"year": 2020}\n]}', "line 3"),
]


@pytest.mark.parametrize(("fmt", "text", "message"), BROKEN)
def test_broken_files_name_the_line(fmt, text, message):
    result = parse(text, fmt)
    assert any(message in e for e in result.errors), result.errors


# --------------------------------------------------------------------------- services


@pytest.fixture
def anna(db):
    return UserFactory(name="Anna Müller", email="anna@muller-lab.org")


def test_import_then_duplicates_from_every_other_source_merge(anna):
    report = publications_import(actor=anna, owner=anna, data=sample("scholar.bib"))
    assert report.ok and report.created == 2
    for name in ("dblp.xml", "orcid.json", "semantic_scholar.json", "openreview.json"):
        assert publications_import(actor=anna, owner=anna, data=sample(name)).ok
    titles = sorted(Publication.objects.filter(user=anna).values_list("title", flat=True))
    # the ACL paper came five times (DOI, in three spellings) and the red-teaming paper twice
    # (same title, other case): each is kept once
    assert titles == sorted(
        [
            "Scaling Laws for Small Language Models",
            "Quantisation-aware training with outlier channels",
            "Deduplicating multilingual web corpora",
            "Red-teaming chat assistants at scale",
            "Refusal behaviour of instruction-tuned models",
            "Contamination detection in web-scale datasets",
        ]
    )
    scaling = Publication.objects.get(user=anna, doi=DOI)
    assert scaling.sources == ["bibtex", "dblp", "orcid", "semantic_scholar"]
    red = Publication.objects.get(user=anna, title__startswith="Red-teaming")
    assert red.abstract.startswith("We red-team")  # filled in from OpenReview
    assert Activity.objects.filter(action="publications.import").count() == 5


def test_dry_run_reports_line_by_line_and_writes_nothing(anna):
    report = publications_import(actor=anna, owner=anna, data=sample("scholar.bib"), dry_run=True)
    assert report.ok and report.dry_run and report.created == 2
    assert report.lines[0].startswith("line 4: “Scaling Laws")
    assert not Publication.objects.exists() and not Activity.objects.exists()


def test_a_broken_file_changes_nothing(anna):
    publications_import(actor=anna, owner=anna, data=sample("scholar.bib"))
    before = list(Publication.objects.values_list("pk", "title", "sources"))
    fmt, text, message = BROKEN[0]
    bad = sample("semantic_scholar.json") + text  # good entries first, then breakage
    report = publications_import(actor=anna, owner=anna, data=text, fmt=fmt)
    assert not report.ok and any(message in e for e in report.errors)
    report = publications_import(actor=anna, owner=anna, data=bad.encode(), fmt="semantic_scholar")
    assert not report.ok and report.errors[0].startswith("line ")
    undecodable = publications_import(actor=anna, owner=anna, data=b"@article{a,\n title={\xff}}")
    assert undecodable.errors == ["line 2: the file is not UTF-8 text (byte 20)"]
    assert list(Publication.objects.values_list("pk", "title", "sources")) == before
    assert Activity.objects.filter(action="publications.import").count() == 1


def test_exclusion_is_remembered_across_imports(anna):
    publications_import(actor=anna, owner=anna, data=sample("scholar.bib"))
    pub = Publication.objects.get(user=anna, doi=DOI)
    publication_set_excluded(actor=anna, publication=pub, excluded=True)
    publications_import(actor=anna, owner=anna, data=sample("semantic_scholar.json"))
    pub.refresh_from_db()
    assert pub.excluded and "semantic_scholar" in pub.sources
    assert Activity.objects.filter(action="publication.exclude").count() == 1
    publication_set_excluded(actor=anna, publication=pub, excluded=False)
    assert not Publication.objects.get(pk=pub.pk).excluded


def test_manual_entries_and_only_the_owner_changes_them(anna):
    pub = publication_add(
        actor=anna,
        owner=anna,
        title="  Hand-made   entry ",
        year=2024,
        authors="Anna Müller; Gil Ray",
    )
    assert pub.title == "Hand-made entry" and pub.authors == ["Anna Müller", "Gil Ray"]
    with pytest.raises(ServiceError, match="already in your list"):
        publication_add(actor=anna, owner=anna, title="hand made ENTRY")
    with pytest.raises(ServiceError, match="title"):
        publication_update(actor=anna, publication=pub, title=" ")
    publication_update(actor=anna, publication=pub, title="Hand-made entry", year=2023)
    assert Publication.objects.get(pk=pub.pk).year == 2023
    other = UserFactory(email="other@else.org")
    with pytest.raises(NotAllowed):
        publication_set_excluded(actor=other, publication=pub, excluded=True)
    with pytest.raises(NotFound):
        publication_for(other, anna, pub.pk)
    with pytest.raises(NotFound):
        publication_for(anna, anna, pub.pk + 1000)
    publication_delete(actor=anna, publication=pub)
    assert not Publication.objects.exists()
    actions = list(Activity.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["publication.add", "publication.update", "publication.delete"]
    publications_import(actor=SYSTEM, owner=anna, data=sample("scholar.bib"))  # demo, commands
    assert Publication.objects.filter(user=anna).count() == 2


def test_recent_coauthors_are_conflicts_and_similar_names_too(anna, settings):
    settings.EXPERTISE_COAUTHOR_YEARS = 3
    year = timezone.now().year
    workshop = WorkshopFactory()
    TopicFactory(workshop=workshop)
    MembershipFactory(workshop=workshop, user=anna, role=Role.REVIEWER)
    papers = {}
    for number, author in enumerate(["Bob Smith", "B. Smith", "Old Friend", "Nobody Else"], 1):
        papers[author] = SubmissionFactory(
            workshop=workshop, title=f"Paper {number}", created_by=anna, contact=False
        )
        AuthorshipFactory(
            submission=papers[author], name=author, email=f"a{number}@uni{number}.edu",
            affiliation="", is_contact=True,
        )  # fmt: skip
    publication_add(
        actor=anna, owner=anna, title="Recent", year=year - 1, authors="Anna Müller; Bob Smith"
    )
    publication_add(
        actor=anna, owner=anna, title="Old", year=year - 5, authors="Anna Müller; Old Friend"
    )
    found = conflicts_for(workshop, user_ids=[anna.pk])
    assert found.reasons[(papers["Bob Smith"].pk, anna.pk)] == {"publication"}
    assert found.reasons[(papers["B. Smith"].pk, anna.pk)] == {"publication-similar"}
    assert not found.is_conflict(papers["Old Friend"].pk, anna.pk)
    assert not found.is_conflict(papers["Nobody Else"].pk, anna.pk)
