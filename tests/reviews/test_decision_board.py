"""The decision desk (issue 12): bulk actions that say what changed and can be undone for
a few minutes, saved searches, filters scoped to one workshop with a switcher, plots with
text alternatives, and pages without inline script or style."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.urls import reverse

from reviews.admin import decisions as board_admin
from reviews.models import Decision, DecisionCategory, SavedSearch
from reviews.services.decisions import category_for, decision_record, decision_undo
from submissions.models import Submission
from tests.factories import WorkshopFactory
from tests.reviews.desk import desk_build
from workshop.models import Activity, MailStatus, OutgoingMail, Role
from workshop.services import membership_grant

pytestmark = pytest.mark.django_db
BOARD = "admin:reviews_decisionboard_changelist"
SAVE = "admin:reviews_decisions_save"
UNDO = "admin:reviews_decisions_undo"


@pytest.fixture(scope="module")
def desks(django_db_setup, django_db_blocker):
    """Workshop A (8 papers; 0 and 4 rejected by the builder) and B (3 papers, its topics
    and a category named ZQFOREIGN...), both chaired by A's chair; C chaired by another."""
    with django_db_blocker.unblock(), transaction.atomic():
        a = desk_build(WorkshopFactory(slug="desk-a", short_name="DESKA"), 8)
        b = desk_build(WorkshopFactory(slug="desk-b", short_name="DESKB"), 3)
        c = desk_build(WorkshopFactory(slug="desk-c", short_name="DESKC"), 2)
        b.topics[0].name = "ZQFOREIGNTOPIC"
        b.topics[0].save()
        DecisionCategory.objects.create(workshop=b.workshop, name="ZQFOREIGNCAT", outcome="accept")
        b.types[0].name = "ZQFOREIGNTYPE"
        b.types[0].save()
        membership_grant(workshop=b.workshop, user=a.chair, role=Role.CHAIR)
        yield a, b, c
        transaction.set_rollback(True)


def board(client, desk, **params) -> str:
    client.force_login(desk.chair)
    response = client.get(reverse(BOARD), {"workshop": desk.workshop.pk, **params})
    assert response.status_code == 200
    return response.content.decode()


def messages_of(client, response) -> list[str]:
    return [str(m) for m in client.get(response["Location"]).context["messages"]]


def bulk(client, desk, action: str, papers) -> object:
    client.force_login(desk.chair)
    return client.post(
        reverse(SAVE),
        {"workshop": desk.workshop.pk, "do": action, "ids": [p.pk for p in papers],
         "next": reverse(BOARD) + f"?workshop={desk.workshop.pk}&sort=-mean"},
    )  # fmt: skip


def oral(desk) -> str:
    """The board's button for "Accept as oral" (one button per category)."""
    category = DecisionCategory.objects.get(workshop=desk.workshop, name="Accept (oral)")
    return f"category-{category.pk}"


def undo_token(client) -> str:
    return client.session[board_admin.UNDO_KEY]["token"]


# --- Bulk actions say what changed ----------------------------------------------------------
def test_bulk_accept_says_which_papers_changed_from_what_to_what(client, desks):
    a, _, _ = desks
    undecided, rejected, accepted = a.papers[1], a.papers[4], a.papers[2]
    decision_record(submission=accepted, category=category_for(a.workshop, "accept"),
                    chair=a.chair)  # fmt: skip
    response = bulk(client, a, oral(a), [undecided, rejected, accepted])
    assert response.status_code == 302
    assert response["Location"].endswith("&sort=-mean")  # back where the chair was
    said = messages_of(client, response)
    assert (
        f"2 papers changed: #{undecided.number} not decided → Accept (oral); "
        f"#{rejected.number} Reject → Accept (oral)."
    ) in said
    assert (
        f"1 paper already had that decision and were left as they were: "
        f"#{accepted.number} (Accept (oral))."
    ) in said
    for paper in (undecided, rejected):
        paper.refresh_from_db()
        assert paper.status == "accepted"
    entries = Activity.objects.filter(action="decision.record", submission_id=rejected.pk)
    assert entries.latest("pk").before["decision"] == "Reject"


def test_the_board_shows_the_last_change_with_its_undo(client, desks):
    a, _, _ = desks
    bulk(client, a, "reject", [a.papers[1]])
    html = board(client, a)
    last = html[html.index('id="undo-h"') :]
    assert f"#{a.papers[1].number}: not decided → <strong>Reject</strong>" in last
    assert "Undo this change (1 paper)" in last
    assert f'name="token" value="{undo_token(client)}"' in last


def test_undo_puts_every_paper_back(client, desks):
    a, _, _ = desks
    undecided, rejected = a.papers[1], a.papers[4]
    bulk(client, a, "desk_reject", [undecided, rejected])
    token = undo_token(client)
    response = client.post(reverse(UNDO), {"workshop": a.workshop.pk, "token": token})
    said = messages_of(client, response)
    assert (
        f"2 papers restored: #{undecided.number} Desk reject → not decided; "
        f"#{rejected.number} Desk reject → Reject."
    ) in said
    undecided.refresh_from_db()
    rejected.refresh_from_db()
    assert undecided.status == "submitted" and not Decision.objects.filter(submission=undecided)
    assert rejected.status == "rejected" and rejected.decision.category.name == "Reject"
    entry = Activity.objects.get(action="decision.undo", submission_id=undecided.pk)
    assert entry.before["decision"] == "Desk reject" and entry.after == {"decision": None}
    # The offer is used up.
    again = client.post(reverse(UNDO), {"workshop": a.workshop.pk, "token": token})
    assert "There is nothing to undo." in messages_of(client, again)


def test_undo_is_offered_for_five_minutes_only(client, desks, monkeypatch):
    a, _, _ = desks
    bulk(client, a, oral(a), [a.papers[1]])
    token = undo_token(client)
    later = board_admin.time.time() + board_admin.UNDO_SECONDS + 1
    monkeypatch.setattr(board_admin.time, "time", lambda: later)
    assert 'id="undo-h"' not in board(client, a)
    response = client.post(reverse(UNDO), {"workshop": a.workshop.pk, "token": token})
    assert "Too late to undo: the offer lasts five minutes." in messages_of(client, response)
    assert Submission.objects.get(pk=a.papers[1].pk).status == "accepted"


def test_undo_leaves_a_paper_decided_again_since(client, desks):
    a, _, _ = desks
    first, second = a.papers[1], a.papers[2]
    bulk(client, a, oral(a), [first, second])
    poster = DecisionCategory.objects.get(workshop=a.workshop, name="Accept (poster)")
    decision_record(submission=second, category=poster, chair=a.chair)
    response = client.post(reverse(UNDO), {"workshop": a.workshop.pk, "token": undo_token(client)})
    said = messages_of(client, response)
    assert f"1 paper restored: #{first.number} Accept (oral) → not decided." in said
    assert f"#{second.number}: its decision has changed since; left as it is" in said
    assert Decision.objects.get(submission=second).category == poster


def test_undo_leaves_a_decision_whose_mail_has_gone_out(desks):
    a, _, _ = desks
    paper = a.papers[1]
    category = category_for(a.workshop, "accept")
    decision = decision_record(submission=paper, category=category, chair=a.chair)
    OutgoingMail.objects.create(key="sent-decision", workshop=a.workshop, to="x@y.org",
                                kind="decision", subject="s", body_text="b",
                                status=MailStatus.SENT, target=decision)  # fmt: skip
    change = decision_undo(submission=paper, before_id=None, after_id=category.pk, chair=a.chair)
    assert change.error == "its decision mail has gone out; left as it is"
    assert Decision.objects.filter(submission=paper).exists()


def test_undo_with_a_wrong_token_or_another_chair_does_nothing(client, desks):
    a, _, c = desks
    bulk(client, a, oral(a), [a.papers[1]])
    response = client.post(reverse(UNDO), {"workshop": a.workshop.pk, "token": "forged"})
    assert "There is nothing to undo." in messages_of(client, response)
    client.force_login(c.chair)
    assert client.post(reverse(UNDO), {"workshop": a.workshop.pk, "token": "x"}).status_code == 404
    assert Submission.objects.get(pk=a.papers[1].pk).status == "accepted"


def test_bulk_actions_never_reach_another_workshop(client, desks):
    a, _, c = desks
    response = bulk(client, a, oral(a), [c.papers[1], a.papers[1]])
    assert f"1 paper changed: #{a.papers[1].number} not decided → Accept (oral)." in (
        messages_of(client, response)
    )
    assert not Decision.objects.filter(submission=c.papers[1]).exists()


# --- Bulk decisions name the category (issue 24) ------------------------------------------
def test_the_bulk_buttons_name_every_category_of_the_workshop(client, desks):
    a, b, _ = desks
    html = board(client, a)
    bar = html[html.index('class="desk-bulk"') :].split("</div>")[0]
    buttons = re.findall(r'<button type="submit" name="do" value="(category-\d+)"[^>]*>([^<]*)<',
                         bar)  # fmt: skip
    ids = {c.name: c.pk for c in DecisionCategory.objects.filter(workshop=a.workshop)}
    assert buttons == [
        (f"category-{ids['Accept (oral)']}", "Accept as oral"),
        (f"category-{ids['Accept (poster)']}", "Accept as poster"),
        (f"category-{ids['Reject']}", "Reject"),
        (f"category-{ids['Desk reject']}", "Desk reject"),
    ]
    assert ">ZQFOREIGNCAT</button>" in board(client, b)  # B's own categories, on B's board


def test_bulk_accept_as_poster_records_the_poster_category(client, desks):
    a, _, _ = desks
    poster = DecisionCategory.objects.get(workshop=a.workshop, name="Accept (poster)")
    oral_paper = a.papers[2]
    decision_record(submission=oral_paper, category=category_for(a.workshop, "accept"),
                    chair=a.chair)  # fmt: skip
    response = bulk(client, a, f"category-{poster.pk}", [a.papers[1], oral_paper])
    said = messages_of(client, response)
    assert (
        f"2 papers changed: #{a.papers[1].number} not decided → Accept (poster); "
        f"#{oral_paper.number} Accept (oral) → Accept (poster)."
    ) in said
    for paper in (a.papers[1], oral_paper):
        assert Decision.objects.get(submission=paper).category == poster


@pytest.mark.parametrize("protocol", ["board", "admin action"])
def test_a_bare_accept_is_refused_where_several_accept_categories_exist(client, desks, protocol):
    a, _, _ = desks
    client.force_login(a.chair)
    before = Activity.objects.count()
    if protocol == "board":
        response = bulk(client, a, "accept", [a.papers[1], a.papers[2]])
    else:
        response = client.post(reverse(BOARD), {"workshop": a.workshop.pk, "action": "accept",
                                                "_selected_action": [a.papers[1].pk]})  # fmt: skip
    assert response.status_code == 302
    said = messages_of(client, response)
    ids = {c.name: c.pk for c in DecisionCategory.objects.filter(workshop=a.workshop)}
    assert (
        "“accept” is ambiguous in DESKA, which has 2 accept decisions: say which, "
        f"“Accept (oral)” ({ids['Accept (oral)']}) or “Accept (poster)” "
        f"({ids['Accept (poster)']}). Nothing was changed."
    ) in said
    assert not Decision.objects.filter(submission__in=[a.papers[1], a.papers[2]]).exists()
    assert Activity.objects.count() == before


def test_a_bare_outcome_is_taken_where_the_workshop_has_one_category_of_it(client, desks):
    a, _, _ = desks
    response = bulk(client, a, "reject", [a.papers[1]])
    said = messages_of(client, response)
    assert f"1 paper changed: #{a.papers[1].number} not decided → Reject." in said


# --- Filters, switcher, layout -------------------------------------------------------------
def test_filters_offer_only_the_current_workshops_topics_types_and_categories(client, desks):
    a, b, _ = desks
    html = board(client, a)
    for foreign in ("ZQFOREIGNTOPIC", "ZQFOREIGNTYPE", "ZQFOREIGNCAT"):
        assert foreign not in html
    menu = html[html.index('<select name="topic">') :].split("</select>")[0]
    topics = re.findall(r"<option[^>]*>([^<]*)</option>", menu)
    assert topics == ["any", "Data and licensing", "Safety"]
    html_b = board(client, b)
    assert "ZQFOREIGNTOPIC" in html_b and "ZQFOREIGNCAT" in html_b


def test_the_workshop_switcher_lists_the_chairs_workshops_and_marks_the_current(client, desks):
    a, b, c = desks
    html = board(client, a)
    switcher = html[html.index('class="desk-switcher"') :].split("</nav>")[0]
    assert f'href="?workshop={a.workshop.pk}" aria-current="page">DESKA<' in switcher
    assert f'href="?workshop={b.workshop.pk}">DESKB<' in switcher
    assert "DESKC" not in switcher
    client.force_login(a.chair)
    assert client.get(reverse(BOARD), {"workshop": c.workshop.pk}).status_code == 404
    assert client.get(reverse(BOARD), {"workshop": "x"}).status_code == 404


def test_the_mail_and_release_links_sit_below_the_title_not_over_it(client, desks):
    a, _, _ = desks
    html = board(client, a)
    title = html.index("<h1>")
    tools = html.index('class="desk-tools"')
    assert title < tools
    assert "object-tools" not in html  # the admin's floating buttons are not used


@pytest.mark.parametrize("page", ["board", "plots", "progress"])
def test_desk_pages_have_no_inline_script_style_or_handlers(client, desks, page):
    a, _, _ = desks
    client.force_login(a.chair)
    url = {
        "board": reverse(BOARD) + f"?workshop={a.workshop.pk}",
        "plots": reverse("admin:reviews_decisions_plots") + f"?workshop={a.workshop.pk}",
        "progress": reverse("admin:reviews_progress", args=[a.workshop.pk]),
    }[page]
    html = client.get(url).content.decode()
    main = html[html.index('id="content"') :]
    assert " style=" not in main
    assert "<style" not in main
    assert not re.search(r"<script(?![^>]*\bsrc=)", main)
    assert not re.search(r"\son[a-z]+=", main)
    assert "javascript:" not in main


# --- Saved searches -------------------------------------------------------------------------
def test_a_search_is_saved_listed_and_deleted(client, desks):
    a, _, _ = desks
    client.force_login(a.chair)
    url = reverse("admin:reviews_decisions_searches")
    response = client.post(url, {"workshop": a.workshop.pk, "name": "Undecided good ones",
                                 "q": "decision:none score:>=3"})  # fmt: skip
    assert "Search saved as “Undecided good ones”." in messages_of(client, response)
    saved = SavedSearch.objects.get(workshop=a.workshop)
    assert Activity.objects.filter(action="search.save", after={"query": saved.query}).exists()
    html = board(client, a)
    assert f"?workshop={a.workshop.pk}&amp;q=decision%3Anone%20score%3A%3E%3D3" in html
    assert ">Undecided good ones</a>" in html
    client.post(url, {"workshop": a.workshop.pk, "delete": saved.pk})
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()
    assert Activity.objects.filter(action="search.delete").exists()


def test_a_search_that_cannot_be_read_is_not_saved(client, desks):
    a, _, _ = desks
    client.force_login(a.chair)
    data = {"workshop": a.workshop.pk, "name": "Broken", "q": "score:>>3"}
    response = client.post(reverse("admin:reviews_decisions_searches"), data)
    said = messages_of(client, response)
    assert any("cannot be saved: score: “>>3” is not a number" in m for m in said), said
    assert not SavedSearch.objects.exists()


# --- Plots ----------------------------------------------------------------------------------
def test_plots_are_svg_with_text_alternatives_and_the_accept_line(client, desks):
    a, _, _ = desks
    decision_record(submission=a.papers[3], category=category_for(a.workshop, "accept"),
                    chair=a.chair)  # fmt: skip
    client.force_login(a.chair)
    url = reverse("admin:reviews_decisions_plots")
    html = client.get(url, {"workshop": a.workshop.pk}).content.decode()
    svgs = re.findall(r'<svg[^>]*class="desk-plot".*?</svg>', html, re.S)
    assert len(svgs) == 3
    for svg, key in zip(svgs, ("dist", "topic", "strict"), strict=True):
        assert 'role="img"' in svg and f'aria-labelledby="{key}-title {key}-desc"' in svg
        assert re.search(rf'<title id="{key}-title">[^<]+</title>', svg)
        assert re.search(rf'<desc id="{key}-desc">[^<]{{20,}}</desc>', svg)
    # Paper 3's scores (4, 1, 3) have a mean of 2.67: the lowest accepted, so the line.
    assert "Accept line at 2.67:" in svgs[0]
    assert "accept line 2.67" in svgs[0]
    assert "Data and licensing: 4 papers" in svgs[1]
    assert "Committee mean" in svgs[2]
    assert html.count("The figures as a table") == 3
    assert '<th scope="row">≥ 3</th>' in html


def test_the_accept_line_can_be_moved_and_is_checked(client, desks):
    a, _, _ = desks
    client.force_login(a.chair)
    url = reverse("admin:reviews_decisions_plots")
    html = client.get(url, {"workshop": a.workshop.pk, "line": "3.5"}).content.decode()
    assert "Accept line at 3.5:" in html
    response = client.get(url, {"workshop": a.workshop.pk, "line": "9"})
    assert any("from 1 to 5" in str(m) for m in response.context["messages"])
