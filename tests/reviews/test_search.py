"""The chairs' search language: the parser (every operator, precedence, every error) and
every keyword against a known desk; the same language in the submissions list and the CSV
export (issue 12)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from django.urls import reverse

import reviews.search  # noqa: F401 - registers the keywords
from reviews.models import Decision, Review
from reviews.services.decisions import category_for, decision_record
from reviews.services.scores import paper_scores_refresh
from submissions.models import Submission
from tests.factories import WorkshopFactory
from tests.reviews.desk import desk_build
from workshop.search import (
    And,
    Not,
    Or,
    SearchContext,
    SearchError,
    Term,
    search_compile,
    search_parse,
)


# --- The parser (no database) ---------------------------------------------------------------
def test_an_empty_query_is_no_condition():
    assert search_parse("") is None
    assert search_parse("   ") is None


def test_juxtaposition_is_and_and_and_binds_tighter_than_or():
    tree = search_parse("a b OR c AND d")
    assert tree == Or((And((Term("", "a", 0), Term("", "b", 2))),
                       And((Term("", "c", 7), Term("", "d", 13)))))  # fmt: skip


def test_parentheses_group_and_not_and_minus_negate():
    tree = search_parse("-withdrawn (topic:data or topic:safety) NOT decision:none")
    assert isinstance(tree, And)
    first, group, last = tree.children
    assert first == Not(Term("", "withdrawn", 1))
    assert group == Or((Term("topic", "data", 12), Term("topic", "safety", 26)))
    assert last == Not(Term("decision", "none", 44))


def test_operators_are_case_insensitive_and_keywords_lower_cased():
    assert search_parse("a and b") == search_parse("a AND b")
    assert search_parse("TOPIC:Data") == Term("topic", "Data", 0)


def test_quoted_values_keep_spaces_and_escaped_quotes():
    assert search_parse('title:"open weights"') == Term("title", "open weights", 0)
    assert search_parse('title: "open weights"') == Term("title", "open weights", 0)
    assert search_parse('"a \\"b\\" c"') == Term("", 'a "b" c', 0)
    assert search_parse('title:"x (y)"') == Term("title", "x (y)", 0)


def test_comparisons_stay_in_the_value_and_an_empty_value_is_allowed():
    assert search_parse("score:>=4") == Term("score", ">=4", 0)
    assert search_parse("disagree:") == Term("disagree", "", 0)
    assert search_parse("#12") == Term("", "#12", 0)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('title:"open', "quotation mark is not closed"),
        ('"open', "quotation mark is not closed"),
        ("(topic:data", "opening parenthesis is not closed"),
        ("topic:data)", "closing parenthesis has no opening one"),
        ("()", "Empty parentheses"),
        ("a OR", "OR must be followed by a search term"),
        ("OR a", "OR needs a search term before it"),
        ("a AND", "AND must be followed by a search term"),
        ("AND a", "AND needs a search term before it"),
        ("a AND OR b", "AND must be followed by a search term"),
        ("NOT", "NOT must be followed by what to exclude"),
        ("a - b", "minus sign must be followed by what to exclude"),
        ("a NOT )", "NOT must be followed by what to exclude"),
    ],
)
def test_syntax_errors_say_what_and_where(query, message):
    with pytest.raises(SearchError) as error:
        search_parse(query)
    assert message in error.value.message
    assert "(at character " in error.value.message


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour:red", "Unknown keyword “colour:”"),
        ("score:high", "score: “high” is not a number"),
        ("reviews:<<3", "is not a number"),
        ("status:lost", "“lost” is not a status"),
        ("flag:odd", "is not a flag"),
        ("number:x", "is not a paper number"),
        ("title:", "title: needs a value"),
        ("disagree:maybe", "is not a number"),
    ],
)
def test_keyword_errors_say_what_is_wrong(query, message):
    with pytest.raises(SearchError) as error:
        search_compile(query, SearchContext())
    assert message in error.value.message


def test_the_unknown_keyword_message_lists_the_known_ones():
    with pytest.raises(SearchError) as error:
        search_compile("colour:red", SearchContext())
    for name in ("topic:", "decision:", "score:", "reviews:", "disagree:", "ac:", "title:"):
        assert name in error.value.message


# --- The keywords against a known desk ------------------------------------------------------
SCORES = {  # paper index -> its three recommendation scores
    0: (5, 5, 4),  # mean 4.67
    1: (1, 5, 3),  # disagreement (spread 4)
    2: (2, 2, 2),
    3: (4, 4, 4),
    4: (3, 4, 3),
    5: (1, 1, 2),
}


@pytest.fixture(scope="module")
def desk(django_db_setup, django_db_blocker):
    """Six papers of known scores (papers 0 and 4 rejected by the builder), paper 5
    withdrawn, two of paper 2's reviews still drafts, and another workshop's papers."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = desk_build(
            WorkshopFactory(slug="search-desk", short_name="SRCH"), 6, scores=lambda i: SCORES[i]
        )
        other = desk_build(WorkshopFactory(slug="search-other", short_name="OTHR"), 2)
        papers = result.papers
        Submission.objects.filter(pk=papers[5].pk).update(status="withdrawn")
        Review.objects.filter(
            assignment__submission=papers[2], assignment__pseudonym__in=["B", "C"]
        ).update(status="draft")
        paper_scores_refresh([papers[2].pk])  # written around the review services
        Submission.objects.filter(pk=papers[1].pk).update(title="Distillation at scale")
        result.other = other
        yield result
        transaction.set_rollback(True)


def found(desk, query: str) -> list[int]:
    """The indexes (0-5) of the desk's papers the query finds, limited to its workshop."""
    context = SearchContext(frozenset({desk.workshop.pk}))
    ids = set(
        Submission.objects.filter(workshop=desk.workshop)
        .filter(search_compile(query, context))
        .values_list("pk", flat=True)
    )
    return [i for i, p in enumerate(desk.papers) if p.pk in ids]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [0, 1, 2, 3, 4, 5]),
        ("score:>=4", [0, 3]),
        ("score:<2", [5]),
        ("score:=2", [2]),  # a draft's score never counts
        ("score:!=2", [0, 1, 3, 4, 5]),
        ("min:1", [1, 5]),
        ("max:>4", [0, 1]),
        ("reviews:<3", [2]),  # two drafts: one review done
        ("reviews:3", [0, 1, 3, 4, 5]),
        ("disagree:", [1]),
        ("disagree:no", [0, 2, 3, 4, 5]),
        ("disagree:>=1", [0, 1, 4, 5]),
        ("decision:none", [1, 2, 3, 5]),
        ("decision:any", [0, 4]),
        ("decision:reject", [0, 4]),
        ("decision:accept", []),
        ('decision:"Reject"', [0, 4]),
        ("topic:data", [0, 2, 4]),
        ("topic:SAFETY", [1, 3, 5]),
        ("type:short", [1, 3, 5]),
        ("status:withdrawn", [5]),
        ("is:rejected", [0, 4]),
        ("withdrawn", [5]),
        ("-withdrawn", [0, 1, 2, 3, 4]),
        ("NOT withdrawn", [0, 1, 2, 3, 4]),
        ('title:"distillation"', [0, 1, 3]),
        ("distillation", [0, 1, 3]),
        ("ac:alan", [0, 2, 4]),
        ("ac:grace", [1, 3, 5]),
        ("reviewer:Reviewer", [0, 1, 2, 3, 4, 5]),
        ("flag:anonymity", [0]),
        ("flag:any", [0]),
        ("#2", [1]),
        ("number:3", [2]),
        ("kw:weights", [0, 1, 2, 3, 4, 5]),
        ("topic:data score:>=4", [0]),
        ("topic:data OR disagree:", [0, 1, 2, 4]),
        ("(topic:data OR disagree:) -decision:reject", [1, 2]),
        ("topic:data decision:none score:>=2 reviews:<3 -withdrawn", [2]),
        ("NOT (score:>=4 OR score:<2)", [1, 2, 4]),
    ],
)
def test_every_keyword_finds_the_expected_papers(desk, query, expected):
    assert found(desk, query) == expected


@pytest.mark.django_db
def test_the_search_never_reaches_another_workshop(client, desk):
    """A query that matches every paper still shows only the chair's own workshop (the
    pages search within it; the aggregates are computed within it)."""
    client.force_login(desk.chair)
    foreign = {p.pk for p in desk.other.papers}
    url = reverse("admin:submissions_submission_changelist")
    shown = {
        s.pk for s in client.get(url, {"q": "-withdrawn OR withdrawn"}).context["cl"].result_list
    }
    assert shown and not shown & foreign
    board = reverse("admin:reviews_decisionboard_changelist")
    assert client.get(board, {"workshop": desk.other.workshop.pk}).status_code == 404


@pytest.mark.django_db
def test_the_board_searches_and_shows_a_bad_query_plainly(client, desk):
    client.force_login(desk.chair)
    board = reverse("admin:reviews_decisionboard_changelist")
    html = client.get(board, {"workshop": desk.workshop.pk, "q": "disagree:"}).content.decode()
    assert "Papers 1–1 of 1 matching" in html
    assert "Distillation at scale" in html
    response = client.get(board, {"workshop": desk.workshop.pk, "q": "topic:(data"})
    html = response.content.decode()
    assert "The search cannot be read: An opening parenthesis is not closed" in html
    assert 'value="topic:(data"' in html  # the query is kept for mending
    assert "No paper matches." in html


@pytest.mark.django_db
def test_the_submissions_list_speaks_the_same_language(client, desk):
    client.force_login(desk.chair)
    url = reverse("admin:submissions_submission_changelist")
    response = client.get(url, {"q": "topic:safety -withdrawn"})
    shown = {s.pk for s in response.context["cl"].result_list}
    assert shown == {desk.papers[1].pk, desk.papers[3].pk}
    response = client.get(url, {"q": "score:>>4"})
    assert list(response.context["cl"].result_list) == []
    assert any("cannot be read" in str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_the_csv_export_follows_the_search(client, desk):
    client.force_login(desk.chair)
    url = reverse("admin:reviews_decisions_export")
    response = client.get(url, {"workshop": desk.workshop.pk, "q": "score:>=4"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(r["number"]) for r in rows] == [desk.papers[0].number, desk.papers[3].number]
    assert rows[0]["mean"] == "4.67" and rows[0]["reviews done"] == "3"
    bad = client.get(url, {"workshop": desk.workshop.pk, "q": "score:"})
    assert bad.status_code == 302  # back to the board, with the reason as a message


@pytest.mark.django_db
def test_a_decision_recorded_is_found_at_once(desk):
    category = category_for(desk.workshop, "accept")
    decision_record(submission=desk.papers[3], category=category, chair=desk.chair)
    assert found(desk, "decision:accept") == [3]
    assert Decision.objects.get(submission=desk.papers[3]).category == category
