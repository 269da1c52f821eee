"""The chairs' decision board and the decision mails.

The board (admin changelist of DecisionBoard): score columns for known scores, reviews done,
the meta-review, check flags, sorting, filtering, a constant number of queries, decisions
saved per row and in bulk, configurable categories and the CSV export.

The mails (admin:reviews_decision_mails): composed and held, previewed, replaced when a
decision changes, released in bulk (and never twice), the separate reviews switch. These
run on the world of tests/reviews/conftest.py (papers P and Q of workshop A).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import (
    Answer,
    Assignment,
    Decision,
    DecisionCategory,
    MetaReview,
    Outcome,
    Review,
    ReviewQuestion,
    ReviewStatus,
)
from reviews.services.decisions import (
    AmbiguousDecision,
    bulk_category,
    category_for,
    decision_mails_compose,
    decision_record,
    decisions_bulk_record,
    default_categories_create,
)
from reviews.services.reviewing import default_form_create, review_submit
from reviews.services.scores import paper_scores_refresh
from submissions.models import Submission, SubmissionFile, SubmissionType
from tests.factories import (
    AuthorshipFactory,
    MembershipFactory,
    SubmissionFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop.errors import ServiceError
from workshop.models import Activity, MailStatus, OutgoingMail, Role, Workshop

from .conftest import (
    AUTHOR_P,
    AUTHOR_Q,
    COMMITTEE_KEYS,
    CONFIDENTIAL,
    DRAFT,
    P_TITLE,
    Q_TITLE,
    R1_TEXT,
    World,
    identity_markers,
)

pytestmark = pytest.mark.django_db

BOARD = "admin:reviews_decisionboard_changelist"
SAVE = "admin:reviews_decisions_save"
MAILS = "admin:reviews_decision_mails"


def on_commit():
    """Run on-commit callbacks (the outbox's delivery) as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


# --- A board of known scores -------------------------------------------------------------------
@dataclass
class Board:
    workshop: Workshop
    chair: object
    reviewers: list
    questions: dict[str, ReviewQuestion]
    other: Workshop
    other_chair: object
    other_paper: Submission

    def paper(
        self,
        title: str,
        *,
        topic: str = "Evaluation",
        stype: str = "Full paper",
        status: str = "submitted",
        workshop: Workshop | None = None,
    ) -> Submission:
        workshop = workshop or self.workshop
        number = workshop.submissions.count() + 1
        owner = UserFactory(email=f"owner{number}-{workshop.slug}@author-uni{number}.org")
        sub = SubmissionFactory(
            workshop=workshop,
            title=title,
            status=status,
            created_by=owner,
            primary_topic=workshop.topics.filter(name=topic).first(),
            submission_type=SubmissionType.objects.filter(workshop=workshop, name=stype).first(),
            contact=False,
        )
        AuthorshipFactory(submission=sub, name=f"Author {number}", email=owner.email,
                          is_contact=True)  # fmt: skip
        return sub

    def review(
        self,
        paper: Submission,
        index: int,
        score: int | None,
        confidence: int | None,
        status: str = ReviewStatus.SUBMITTED,
    ) -> Review:
        assignment = Assignment.objects.create(
            submission=paper, reviewer=self.reviewers[index], pseudonym="ABCDEF"[index]
        )
        review = Review.objects.create(assignment=assignment, status=status)
        Answer.objects.create(review=review, question=self.questions["Summary"], value="Fine.")
        if score is not None:
            Answer.objects.create(
                review=review, question=self.questions["Overall recommendation"], value=score
            )
        if confidence is not None:
            Answer.objects.create(
                review=review, question=self.questions["Confidence"], value=confidence
            )
        paper_scores_refresh([paper.pk])  # written around the review services
        return review

    def scored(self, title: str, pairs: list[tuple[int, int | None]], **kwargs) -> Submission:
        paper = self.paper(title, **kwargs)
        for i, (score, confidence) in enumerate(pairs):
            self.review(paper, i, score, confidence)
        return paper


@pytest.fixture
def board(db) -> Board:
    workshop = WorkshopFactory(name="Board Workshop", short_name="BRD", slug="brd")
    TopicFactory(workshop=workshop, name="Evaluation")
    TopicFactory(workshop=workshop, name="Data")
    SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    SubmissionType.objects.create(workshop=workshop, name="Short paper", page_limit=4)
    questions = {q.label: q for q in default_form_create(workshop)}
    chair = make_chair(workshop, name="Board Chair", email="chair@board-chairs.org")
    reviewers = []
    for i in range(6):
        user = UserFactory(name=f"Reviewer Person {i}", email=f"rev{i}@rev-lab{i}.org")
        MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
        reviewers.append(user)
    other = WorkshopFactory(name="Other Workshop", short_name="OTH", slug="oth")
    TopicFactory(workshop=other, name="Evaluation")
    other_chair = make_chair(other, name="Other Chair", email="chair@other-chairs.org")
    result = Board(workshop, chair, reviewers, questions, other, other_chair, None)  # type: ignore[arg-type]
    result.other_paper = result.paper("ZQOTHERWORKSHOPPAPER", workshop=other)
    return result


def board_rows(html: str) -> dict[int, dict[str, str]]:
    """{paper number: {column: text}} of the rendered changelist."""
    if 'id="result_list"' not in html:
        return {}
    body = html[html.index('id="result_list"') :]
    rows: dict[int, dict[str, str]] = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = {
            name: " ".join(re.sub(r"<[^>]+>", " ", text).split())
            for name, text in re.findall(
                r'<t[dh] class="field-(\w+)[^"]*"[^>]*>(.*?)</t[dh]>', row, re.S
            )
        }
        if "number" in cells:
            cells["_html"] = row
            rows[int(cells["number"])] = cells
    return rows


def board_get(client, board: Board, **params) -> tuple[object, dict[int, dict[str, str]]]:
    client.force_login(board.chair)
    response = client.get(reverse(BOARD), params)
    assert response.status_code == 200
    return response, board_rows(response.content.decode())


def numbers(response) -> list[int]:
    """The paper numbers of the page, in the board's order."""
    return list(board_rows(response.content.decode()))


# --- The columns -------------------------------------------------------------------------------
def test_score_columns_are_computed_from_the_submitted_reviews(client, board):
    paper = board.scored("Known scores", [(2, 1), (4, 3), (5, 5)])
    board.review(paper, 3, 1, 5, status=ReviewStatus.DRAFT)  # a draft never counts
    even = board.scored("Two scores", [(3, 2), (4, None)])  # no confidence: not weighted
    board.paper("Not reviewed")

    _, rows = board_get(client, board)

    row = rows[paper.number]
    assert row["mean_score"] == "3.67"
    assert row["median_score"] == "4"
    assert row["score_range"] == "2–5"
    assert row["weighted_mean"] == "4.33"  # (2*1 + 4*3 + 5*5) / 9
    assert row["reviews"] == "3/3"
    assert 'class="field-reviews num"' in row["_html"]  # not marked as missing reviews

    row = rows[even.number]
    assert row["mean_score"] == "3.50"
    assert row["median_score"] == "3.5"
    assert row["score_range"] == "3–4"
    assert row["weighted_mean"] == "3.00"  # only the review with a confidence weighs
    assert row["reviews"] == "2/3"
    assert 'class="field-reviews num desk-missing">2/3<' in row["_html"]

    row = rows[3]
    assert (row["mean_score"], row["median_score"], row["score_range"]) == ("—", "—", "—")
    assert row["weighted_mean"] == "—"
    assert row["reviews"] == "0/3"


def test_reviews_required_follow_the_workshop_setting(client, board):
    Workshop.objects.filter(pk=board.workshop.pk).update(reviews_per_paper=2)
    paper = board.scored("Enough", [(3, 3), (4, 4)])
    _, rows = board_get(client, board)
    assert rows[paper.number]["reviews"] == "2/2"


def test_meta_review_recommendation_and_check_flags_are_shown(client, board):
    flagged = board.scored("Flagged", [(3, 3)])
    clean = board.scored("Clean", [(3, 3)])
    MetaReview.objects.create(
        submission=flagged, author=board.reviewers[5], recommendation="weak_accept"
    )
    stored = SubmissionFile.objects.create(
        submission=flagged,
        kind="paper",
        file="x.pdf",
        sha256="0" * 64,
        size=10,
        uploaded_by=flagged.created_by,
        anonymity_flag=True,
        hidden_text_flag=True,
    )
    Submission.objects.filter(pk=flagged.pk).update(paper=stored)
    clean_file = SubmissionFile.objects.create(
        submission=clean,
        kind="paper",
        file="y.pdf",
        sha256="1" * 64,
        size=10,
        uploaded_by=clean.created_by,
    )
    Submission.objects.filter(pk=clean.pk).update(paper=clean_file)

    _, rows = board_get(client, board)

    assert rows[flagged.number]["meta"] == "Weak accept"
    assert rows[flagged.number]["flags"] == "anonymity, hidden text"
    assert rows[clean.number]["meta"] == "—"
    assert rows[clean.number]["flags"] in ("", "-")  # the admin's empty value


def test_only_this_chairs_decidable_papers_are_on_the_board(client, board):
    shown = board.paper("Submitted one")
    draft = board.paper("A draft", status="draft")
    withdrawn = board.paper("Withdrawn one", status="withdrawn")
    response, rows = board_get(client, board)
    assert set(rows) == {shown.number}
    html = response.content.decode()
    assert "ZQOTHERWORKSHOPPAPER" not in html
    assert draft.title not in html and withdrawn.title not in html


# --- Sorting and filtering ---------------------------------------------------------------------
def test_the_board_sorts_by_mean_both_ways(client, board):
    middle = board.scored("Middle", [(3, 3), (4, 3)])  # 3.5
    low = board.scored("Low", [(2, 3), (2, 3)])  # 2.0
    high = board.scored("High", [(5, 3), (4, 3)])  # 4.5
    ascending, _ = board_get(client, board, sort="mean")
    assert numbers(ascending) == [low.number, middle.number, high.number]
    descending, _ = board_get(client, board, sort="-mean")
    assert numbers(descending) == [high.number, middle.number, low.number]


def test_the_board_filters_by_topic_type_status_and_decision(client, board):
    evaluation = board.paper("Eval full")
    data = board.paper("Data short", topic="Data", stype="Short paper")
    accepted = board.paper("Accepted one", topic="Data")
    categories = {c.name: c for c in default_categories_create(board.workshop)}
    decision_record(submission=accepted, category=categories["Accept (poster)"], chair=board.chair)

    topic = board.workshop.topics.get(name="Data")
    short = SubmissionType.objects.get(workshop=board.workshop, name="Short paper")
    by_topic, _ = board_get(client, board, topic=topic.pk)
    assert sorted(numbers(by_topic)) == [data.number, accepted.number]
    by_type, _ = board_get(client, board, type=short.pk)
    assert numbers(by_type) == [data.number]
    by_status, _ = board_get(client, board, status="accepted")
    assert numbers(by_status) == [accepted.number]
    by_decision, _ = board_get(client, board, decision=categories["Accept (poster)"].pk)
    assert numbers(by_decision) == [accepted.number]
    undecided, _ = board_get(client, board, decision="none")
    assert numbers(undecided) == [evaluation.number, data.number]
    reject, _ = board_get(client, board, decision=categories["Reject"].pk)
    assert numbers(reject) == []


def test_the_decision_filter_offers_only_this_chairs_categories(client, board):
    default_categories_create(board.other)
    DecisionCategory.objects.create(
        workshop=board.other, name="ZQFOREIGNCATEGORY", outcome=Outcome.ACCEPT
    )
    board.paper("Something")
    response, _ = board_get(client, board)
    html = response.content.decode()
    assert "ZQFOREIGNCATEGORY" not in html
    menu = html[html.index('<select name="decision">') :]
    choices = re.findall(r"<option[^>]*>([^<]*)</option>", menu[: menu.index("</select>")])
    assert choices == [
        "any",
        "not decided",
        "Accept (oral)",
        "Accept (poster)",
        "Reject",
        "Desk reject",
    ]


# --- Query count -------------------------------------------------------------------------------
def _busy_paper(board: Board, i: int) -> Submission:
    paper = board.scored(f"Busy {i}", [(2 + i % 3, 3), (4, 2), (3, 5)])
    MetaReview.objects.create(submission=paper, author=board.reviewers[5], recommendation="accept")
    stored = SubmissionFile.objects.create(
        submission=paper,
        kind="paper",
        file=f"{i}.pdf",
        sha256="0" * 64,
        size=10,
        uploaded_by=paper.created_by,
        anonymity_flag=bool(i % 2),
    )
    Submission.objects.filter(pk=paper.pk).update(paper=stored)
    category = category_for(board.workshop, Outcome.ACCEPT if i % 2 else Outcome.REJECT)
    decision_record(submission=paper, category=category, chair=board.chair)
    return paper


def test_the_board_runs_a_constant_number_of_queries(client, board):
    for i in range(3):
        _busy_paper(board, i)
    client.force_login(board.chair)
    client.get(reverse(BOARD))  # warm-up: categories exist, session loaded
    with CaptureQueriesContext(connection) as small:
        response = client.get(reverse(BOARD))
    assert len(board_rows(response.content.decode())) == 3

    for i in range(3, 15):
        _busy_paper(board, i)
    with CaptureQueriesContext(connection) as large:
        response = client.get(reverse(BOARD))
    assert len(board_rows(response.content.decode())) == 15
    assert len(large.captured_queries) == len(small.captured_queries), [
        q["sql"] for q in large.captured_queries
    ]


# --- Deciding: per row, in bulk, categories ----------------------------------------------------
def test_the_row_select_offers_the_categories_and_marks_the_current_one(client, board):
    paper = board.paper("Decide me")
    default_categories_create(board.workshop)
    DecisionCategory.objects.create(
        workshop=board.workshop, name="Accept (spotlight)", outcome=Outcome.ACCEPT, order=0
    )
    _, rows = board_get(client, board)
    html = rows[paper.number]["_html"]
    assert f'name="decision-{paper.pk}"' in html
    options = re.findall(r"<option value=\"(\d*)\"[^>]*>([^<]*)</option>", html)
    assert [name for _, name in options] == [
        "—",
        "Accept (spotlight)",
        "Accept (oral)",
        "Accept (poster)",
        "Reject",
        "Desk reject",
    ]
    poster = DecisionCategory.objects.get(workshop=board.workshop, name="Accept (poster)")
    decision_record(submission=paper, category=poster, chair=board.chair)
    _, rows = board_get(client, board)
    assert (
        f'<option value="{poster.pk}" selected>Accept (poster)</option>'
        in (rows[paper.number]["_html"])
    )


def test_decisions_saved_per_row_set_the_decision_and_the_status(client, board):
    first, second, third = (board.paper(t) for t in ("One", "Two", "Three"))
    board_get(client, board)  # creates the default categories
    cats = {c.name: c for c in board.workshop.decision_categories.all()}
    response = client.post(
        reverse(SAVE),
        {
            f"decision-{first.pk}": cats["Accept (poster)"].pk,
            f"decision-{second.pk}": cats["Desk reject"].pk,
            f"decision-{third.pk}": "",  # left undecided
            "next": reverse(BOARD) + "?o=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(BOARD) + "?o=1"
    assert (
        f"2 papers changed: #{first.number} not decided → Accept (poster); "
        f"#{second.number} not decided → Desk reject."
    ) in [str(m) for m in client.get(response["Location"]).context["messages"]]
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert first.decision.category.name == "Accept (poster)"
    assert first.decision.decided_by == board.chair
    assert first.status == "accepted"
    assert second.decision.category.name == "Desk reject"
    assert second.status == "desk_rejected"
    assert not Decision.objects.filter(submission=third).exists()
    assert third.status == "submitted"

    # Changing it counts a new version; the same choice again changes nothing.
    client.post(reverse(SAVE), {f"decision-{first.pk}": cats["Reject"].pk})
    client.post(reverse(SAVE), {f"decision-{first.pk}": cats["Reject"].pk})
    decision = Decision.objects.get(submission=first)
    assert (decision.category.name, decision.version) == ("Reject", 2)
    assert Submission.objects.get(pk=first.pk).status == "rejected"


def test_saving_never_redirects_off_site(client, board):
    paper = board.paper("Paper")
    cat = category_for(board.workshop, Outcome.ACCEPT)
    client.force_login(board.chair)
    response = client.post(
        reverse(SAVE), {f"decision-{paper.pk}": cat.pk, "next": "https://evil.example/x"}
    )
    assert response.status_code == 302
    assert Decision.objects.filter(submission=paper).exists()
    assert response["Location"].startswith("/")
    assert not response["Location"].startswith("//")


def test_the_save_endpoint_ignores_another_workshops_papers_and_categories(client, board):
    mine = board.paper("Mine")
    foreign_categories = {c.name: c for c in default_categories_create(board.other)}
    board_get(client, board)
    response = client.post(
        reverse(SAVE),
        {
            f"decision-{board.other_paper.pk}": foreign_categories["Reject"].pk,
            f"decision-{mine.pk}": foreign_categories["Accept (oral)"].pk,
        },
    )
    assert response.status_code == 302
    messages = [str(m) for m in client.get(reverse(BOARD)).context["messages"]]
    assert "No paper changed." in messages
    assert any("another workshop" in m for m in messages), messages
    assert not Decision.objects.exists()
    assert Submission.objects.get(pk=board.other_paper.pk).status == "submitted"
    assert Submission.objects.get(pk=mine.pk).status == "submitted"


def test_the_save_endpoint_needs_post_and_a_chair(client, board):
    paper = board.paper("Paper")
    cat = category_for(board.workshop, Outcome.ACCEPT)
    client.force_login(board.chair)
    assert client.get(reverse(SAVE), {f"decision-{paper.pk}": cat.pk}).status_code == 302
    assert not Decision.objects.exists()
    client.force_login(board.other_chair)
    client.post(reverse(SAVE), {f"decision-{paper.pk}": cat.pk})
    assert not Decision.objects.exists()
    client.force_login(board.reviewers[0])  # not staff: sent to the admin login
    response = client.post(reverse(SAVE), {f"decision-{paper.pk}": cat.pk})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Decision.objects.exists()


@pytest.mark.parametrize("field", ["key", "value"])
def test_the_save_endpoint_ignores_garbage_fields(client, board, field):
    paper = board.paper("Paper")
    cat = category_for(board.workshop, Outcome.ACCEPT)
    data = {"decision-abc": cat.pk} if field == "key" else {f"decision-{paper.pk}": "abc"}
    client.force_login(board.chair)
    response = client.post(reverse(SAVE), {**data, f"decision-{board.other_paper.pk}": cat.pk})
    assert response.status_code == 302
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("category", "status"),
    [
        ("Accept (oral)", "accepted"),
        ("Accept (poster)", "accepted"),
        ("Reject", "rejected"),
        ("Desk reject", "desk_rejected"),
    ],
)
def test_bulk_actions_decide_the_selected_papers(client, board, category, status):
    chosen = [board.paper("A"), board.paper("B")]
    untouched = board.paper("C")
    default_categories_create(board.workshop)
    pk = DecisionCategory.objects.get(workshop=board.workshop, name=category).pk
    client.force_login(board.chair)
    response = client.post(
        reverse(BOARD),
        {
            "action": f"category-{pk}",
            "_selected_action": [s.pk for s in chosen] + [board.other_paper.pk],
            "index": 0,
        },
    )
    assert response.status_code == 302
    for paper in chosen:
        paper.refresh_from_db()
        assert paper.decision.category.name == category
        assert paper.status == status
    assert not Decision.objects.filter(submission__in=[untouched, board.other_paper]).exists()
    assert Submission.objects.get(pk=board.other_paper.pk).status == "submitted"


def test_a_bulk_choice_names_a_category_by_id_name_label_or_unambiguous_outcome(board):
    w = board.workshop
    oral, poster, reject, desk = default_categories_create(w)
    assert bulk_category(w, category=str(poster.pk)) == poster
    assert bulk_category(w, category=poster.pk) == poster
    assert bulk_category(w, category="accept (POSTER)") == poster
    assert bulk_category(w, category="Accept as oral") == oral
    assert bulk_category(w, outcome="reject") == reject
    assert bulk_category(w, outcome="desk_reject") == desk
    with pytest.raises(AmbiguousDecision) as refused:
        bulk_category(w, outcome="accept")
    assert refused.value.choices == [oral, poster]
    assert "say which, “Accept (oral)”" in refused.value.message
    with pytest.raises(ServiceError, match="No decision “maybe”"):
        bulk_category(w, category="maybe")
    with pytest.raises(ServiceError, match="Name the decision"):
        bulk_category(w, outcome="maybe")
    foreign = default_categories_create(board.other)[0]
    with pytest.raises(ServiceError, match=f"No decision “{foreign.pk}” in"):
        bulk_category(w, category=foreign.pk)
    poster.delete()
    assert bulk_category(w, outcome="accept") == oral  # one accept left: no ambiguity


def test_an_ambiguous_bulk_accept_is_refused_by_the_service_before_any_change(board):
    papers = [board.paper("A"), board.paper("B")]
    default_categories_create(board.workshop)
    before = Activity.objects.count()
    with pytest.raises(AmbiguousDecision):
        decisions_bulk_record(submissions=papers, outcome="accept", chair=board.chair)
    assert not Decision.objects.filter(submission__in=papers).exists()
    assert Activity.objects.count() == before


def test_default_categories_are_created_once_and_configurable(board):
    first = default_categories_create(board.workshop)
    assert [(c.name, c.outcome) for c in first] == [
        ("Accept (oral)", "accept"),
        ("Accept (poster)", "accept"),
        ("Reject", "reject"),
        ("Desk reject", "desk_reject"),
    ]
    DecisionCategory.objects.filter(workshop=board.workshop, name="Reject").delete()
    assert len(default_categories_create(board.workshop)) == 3  # never re-added on top


def test_a_category_of_another_workshop_is_refused_by_the_service(board):
    from workshop.errors import NotFound, ServiceError

    paper = board.paper("A")
    foreign = category_for(board.other, Outcome.ACCEPT)
    with pytest.raises(ServiceError):
        decision_record(submission=paper, category=foreign, chair=board.chair)
    with pytest.raises(NotFound):  # a chair of another workshop may not know the paper
        decision_record(
            submission=paper,
            category=category_for(board.workshop, Outcome.ACCEPT),
            chair=board.other_chair,
        )
    assert not Decision.objects.exists()


# --- CSV ---------------------------------------------------------------------------------------
def test_csv_export_has_the_columns_and_neutralises_formulas(client, board):
    paper = board.scored('=HYPERLINK("http://evil.example/","x")', [(2, 1), (4, 3), (5, 5)])
    MetaReview.objects.create(submission=paper, author=board.reviewers[5], recommendation="reject")
    decision_record(
        submission=paper, category=category_for(board.workshop, "reject"), chair=board.chair
    )
    other = board.paper("+plus and -minus")
    client.force_login(board.chair)
    response = client.post(
        reverse(BOARD),
        {"action": "export_csv", "_selected_action": [paper.pk, other.pk, board.other_paper.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, data = rows[0], {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:3] == ["workshop", "number", "title"]
    assert set(data) == {str(paper.number), str(other.number)}  # not the other workshop's
    row = data[str(paper.number)]
    assert row["title"] == '\'=HYPERLINK("http://evil.example/","x")'
    assert row["mean"] == "3.67"
    assert float(row["median"]) == 4
    assert (float(row["min"]), float(row["max"])) == (2, 5)
    assert row["confidence-weighted mean"] == "4.33"
    assert (row["reviews done"], row["reviews required"]) == ("3", "3")
    assert row["meta-review"] == "Reject"
    assert row["decision"] == "Reject"
    assert data[str(other.number)]["title"] == "'+plus and -minus"
    assert data[str(other.number)]["mean"] == ""


# --- Decision mails (on the world) --------------------------------------------------------------
def chair_a(client, world: World):
    client.force_login(world.users["chair-A"])
    return client


def mails_url(world: World) -> str:
    return reverse(MAILS, args=[world.workshop.pk])


def decide(world: World, paper: Submission, name: str) -> Decision:
    categories = {c.name: c for c in default_categories_create(world.workshop)}
    return decision_record(
        submission=paper, category=categories[name], chair=world.users["chair-A"]
    )


def compose(client, world: World, include_reviews: bool = True):
    data = {"action": "compose"}
    if include_reviews:
        data["include_reviews"] = "on"
    with on_commit():
        response = chair_a(client, world).post(mails_url(world), data)
    assert response.status_code == 302
    return response


def decision_mails(world: World, **filters) -> list[OutgoingMail]:
    return list(
        OutgoingMail.objects.filter(workshop=world.workshop, kind="decision", **filters).order_by(
            "pk"
        )
    )


@pytest.fixture
def decided(world: World) -> World:
    """P accepted (oral), Q rejected; Reviewer C (R3) submitted too, Reviewer B is a draft."""
    with on_commit():
        review_submit(
            assignment=world.assignments["R3-not-started"],
            user=world.users["R3-not-started"],
            answers=world.full_answers(Summary="ZQR3SUBMITTEDTEXT Nice.", Overall=2),
        )
    decide(world, world.p, "Accept (oral)")
    decide(world, world.q, "Reject")
    mail.outbox.clear()
    return world


P_AUTHORS = {AUTHOR_P[1], AUTHOR_P[4]}


def test_compose_holds_one_mail_per_author_with_the_placeholders_filled(client, decided):
    world = decided
    compose(client, world)

    held = decision_mails(world, status=MailStatus.HELD)
    assert sorted(m.to for m in held) == sorted([*P_AUTHORS, AUTHOR_Q[1]])
    assert mail.outbox == []  # nothing is sent before the release
    for m in held:
        if m.to in P_AUTHORS:
            assert m.subject == "[WSA] Decision on paper #1: Accept (oral)"
            assert f'paper #1, "{P_TITLE} Paper under review"' in m.body_text
            assert "    Accept (oral)" in m.body_text
        else:
            assert m.subject == "[WSA] Decision on paper #2: Reject"
            assert f'"{Q_TITLE} The other paper"' in m.body_text
        assert "{" not in m.subject + m.body_text  # no placeholder left unfilled
        assert m.reply_to == world.workshop.contact_email


def test_composed_mails_carry_author_visible_answers_under_pseudonyms_only(client, decided):
    world = decided
    compose(client, world)
    body = next(m for m in decision_mails(world) if m.to == AUTHOR_P[1]).body_text

    assert "--- Reviewer A ---" in body and "--- Reviewer C ---" in body
    assert R1_TEXT in body and "ZQR3SUBMITTEDTEXT" in body
    assert "Overall recommendation:\n4 (Accept)" in body
    assert "Reviewer B" not in body and DRAFT not in body  # a draft is not a review yet
    assert CONFIDENTIAL not in body  # chairs-only
    assert "Confidence" not in body  # committee-only
    for key in COMMITTEE_KEYS:
        for marker in identity_markers(key):
            assert marker not in body, (key, marker)
    q_body = next(m for m in decision_mails(world) if m.to == AUTHOR_Q[1]).body_text
    assert "Reviewer" not in q_body  # Q has no submitted review


def test_compose_without_reviews_leaves_them_out(client, decided):
    compose(client, decided, include_reviews=False)
    body = next(m for m in decision_mails(decided) if m.to == AUTHOR_P[1]).body_text
    assert R1_TEXT not in body and "Reviewer A" not in body
    assert "Accept (oral)" in body


def test_the_preview_page_shows_the_held_mails(client, decided):
    world = decided
    compose(client, world)
    response = chair_a(client, world).get(mails_url(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3. Preview (3 held)" in html
    assert "0 decision mails sent so far" in html
    for m in decision_mails(world):
        assert f'<option value="{m.pk}"' in html
    q_mail = next(m for m in decision_mails(world) if m.to == AUTHOR_Q[1])
    response = client.get(mails_url(world), {"preview": q_mail.pk})
    assert response.context["preview"] == q_mail
    html = response.content.decode()
    assert "<strong>To:</strong> zqother@qmarkers-lab.org" in html
    assert "[WSA] Decision on paper #2: Reject" in html
    assert f"{Q_TITLE} The other paper" in html
    assert mail.outbox == []


def test_a_changed_decision_replaces_its_held_mail(client, decided):
    world = decided
    compose(client, world)
    before = {m.to: m.pk for m in decision_mails(world, status=MailStatus.HELD)}

    chair_a(client, world)
    poster = world.workshop.decision_categories.get(name="Accept (poster)")
    with on_commit():
        client.post(reverse(SAVE), {f"decision-{world.q.pk}": poster.pk})
    assert Decision.objects.get(submission=world.q).version == 2

    to_q = decision_mails(world, to=AUTHOR_Q[1])
    live = [m for m in to_q if m.status != MailStatus.CANCELLED]
    assert len(live) == 1
    assert live[0].status == MailStatus.HELD
    assert live[0].subject == "[WSA] Decision on paper #2: Accept (poster)"
    assert "Reject" not in live[0].body_text
    assert OutgoingMail.objects.get(pk=before[AUTHOR_Q[1]]).status == MailStatus.CANCELLED
    # P's mails were not touched.
    assert {m.pk for m in decision_mails(world, status=MailStatus.HELD) if m.to in P_AUTHORS} == {
        before[a] for a in P_AUTHORS
    }
    assert mail.outbox == []

    # Releasing sends the new decision only.
    with on_commit():
        client.post(mails_url(world), {"action": "release"})
    to_q_sent = [m for m in mail.outbox if m.to == [AUTHOR_Q[1]]]
    assert [m.subject for m in to_q_sent] == ["[WSA] Decision on paper #2: Accept (poster)"]


def test_a_changed_decision_keeps_the_chairs_choice_to_leave_reviews_out(client, decided):
    world = decided
    compose(client, world, include_reviews=False)
    decide(world, world.p, "Accept (poster)")
    live = [m for m in decision_mails(world, to=AUTHOR_P[1]) if m.status == MailStatus.HELD]
    assert len(live) == 1 and "Accept (poster)" in live[0].subject
    assert R1_TEXT not in live[0].body_text


def test_release_sends_every_held_mail_and_shows_decisions(client, decided):
    world = decided
    compose(client, world)
    assert not Workshop.objects.get(pk=world.workshop.pk).decisions_released

    with on_commit():
        response = chair_a(client, world).post(mails_url(world), {"action": "release"})
    assert response.status_code == 302
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert any(m.startswith("3 decision mails released") for m in messages), messages

    assert {m.status for m in decision_mails(world)} == {MailStatus.SENT}
    sent = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert sent == sorted(
        [(a, "[WSA] Decision on paper #1: Accept (oral)") for a in P_AUTHORS]
        + [(AUTHOR_Q[1], "[WSA] Decision on paper #2: Reject")]
    )
    workshop = Workshop.objects.get(pk=world.workshop.pk)
    assert workshop.decisions_released
    assert not workshop.reviews_released  # the other switch

    # Composing and releasing again re-sends nothing.
    compose(client, world)
    assert decision_mails(world, status=MailStatus.HELD) == []
    with on_commit():
        client.post(mails_url(world), {"action": "release"})
    assert len(mail.outbox) == 3
    assert len(decision_mails(world, status=MailStatus.SENT)) == 3


def test_after_release_a_changed_decision_is_mailed_once_more_on_the_next_compose(decided):
    world = decided
    chair = world.users["chair-A"]
    with on_commit():
        decision_mails_compose(workshop=world.workshop, chair=chair, include_reviews=True)
    from reviews.services.decisions import decisions_release

    with on_commit():
        decisions_release(workshop=world.workshop, chair=chair)
    decide(world, world.q, "Accept (poster)")
    assert decision_mails(world, status=MailStatus.HELD) == []  # nothing composed by itself
    with on_commit():
        count = decision_mails_compose(workshop=world.workshop, chair=chair, include_reviews=True)
    assert count == 1
    [held] = decision_mails(world, status=MailStatus.HELD)
    assert (held.to, held.subject) == (AUTHOR_Q[1], "[WSA] Decision on paper #2: Accept (poster)")


def test_the_reviews_switch_is_separate_from_the_decisions(client, decided):
    world = decided
    chair_a(client, world).post(mails_url(world), {"action": "release_reviews"})
    workshop = Workshop.objects.get(pk=world.workshop.pk)
    assert workshop.reviews_released and not workshop.decisions_released
    assert decision_mails(world) == [] and mail.outbox == []
    html = client.get(mails_url(world)).content.decode()
    assert 'value="hide_reviews"' in html
    client.post(mails_url(world), {"action": "hide_reviews"})
    workshop.refresh_from_db()
    assert not workshop.reviews_released and not workshop.decisions_released


def test_a_chair_of_another_workshop_gets_404_on_the_mails_view(client, decided):
    world = decided
    client.force_login(world.users["chair-B"])
    assert client.get(mails_url(world)).status_code == 404
    for action in ("compose", "release", "release_reviews"):
        assert client.post(mails_url(world), {"action": action}).status_code == 404
    workshop = Workshop.objects.get(pk=world.workshop.pk)
    assert not workshop.decisions_released and not workshop.reviews_released
    assert decision_mails(world) == []
    # ... and sees none of A's papers on the board.
    response = client.get(reverse(BOARD))
    assert response.status_code == 200
    assert P_TITLE not in response.content.decode()


def test_reviewers_and_authors_cannot_reach_the_mails_view(client, decided):
    world = decided
    for role in ("R1-submitted", "author-P", "AC-of-P"):
        client.force_login(world.users[role])
        response = client.post(mails_url(world), {"action": "release"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Workshop.objects.get(pk=world.workshop.pk).decisions_released


def test_composing_again_finds_the_mailed_decisions_in_a_constant_number_of_queries(board):
    """Whether a decision was mailed since it was taken is read for every decision at once,
    not with one query per decided paper."""
    from reviews.services.decisions import decisions_release

    def compose_with_nothing_due() -> int:
        with on_commit():
            decision_mails_compose(workshop=board.workshop, chair=board.chair, include_reviews=True)
            decisions_release(workshop=board.workshop, chair=board.chair)
        with CaptureQueriesContext(connection) as queries:
            assert (
                decision_mails_compose(
                    workshop=board.workshop, chair=board.chair, include_reviews=True
                )
                == 0
            )  # every decision was mailed already
        return len(queries)

    _busy_paper(board, 0)
    few = compose_with_nothing_due()
    for i in range(1, 5):
        _busy_paper(board, i)
    assert compose_with_nothing_due() == few
