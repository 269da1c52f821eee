"""The chairs' mail to a search (admin:reviews_mail_compose, `reviews.services.mail`).

Recipients per kind (contact authors, all authors, reviewers, area chairs of the papers a
desk search selects; the late reviewers of the progress page), merge fields rendered
without any template engine, unknown fields refused by name, a preview per recipient,
mails held (nothing sent) with one activity entry, released once through the outbox, a
double submit that holds nothing twice, and chairs of other workshops refused. Runs on the
world of tests/reviews/conftest.py (papers P and Q of workshop A).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from reviews.selectors.mail import CAMPAIGN_ACTION, CAMPAIGN_KIND, RecipientKind, mail_pairs
from reviews.selectors.progress import late_reviewers, review_progress
from reviews.services.decisions import decision_record, default_categories_create
from reviews.services.mail import (
    mail_campaign_compose,
    mail_campaign_hold,
    mail_campaign_release,
    merge_render,
)
from submissions.models import FileKind, Submission, SubmissionFile
from workshop.errors import NotAllowed, ServiceError
from workshop.models import Activity, MailStatus, OutgoingMail, Workshop
from workshop.outbox import outbox_sweep
from workshop.search import SearchContext, search_compile

from .conftest import AUTHOR_P, AUTHOR_Q, P_TITLE, PEOPLE, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    """The world built once for the module (tests/reviews/conftest.py `world_once`); each
    test gets its own copy and its writes are rolled back after it."""
    return world_once.checkout(settings, tmp_path / "world-media")


COMPOSE = "admin:reviews_mail_compose"
TOKEN = "t" * 24


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def url(world: World) -> str:
    return reverse(COMPOSE, args=[world.workshop.pk])


def chair(client, world: World, key: str = "chair-A"):
    client.force_login(world.users[key])
    return client


def search(world: World, text: str):
    return search_compile(text, SearchContext(frozenset({world.workshop.pk})))


def emails(pairs) -> list[tuple[str, int]]:
    return [(p.email, p.submission.number) for p in pairs]


def accept_both_with_a_camera_ready_for_q(world: World) -> None:
    categories = {c.name: c for c in default_categories_create(world.workshop)}
    for paper in (world.p, world.q):
        decision_record(submission=paper, category=categories["Accept (poster)"],
                        chair=world.users["chair-A"])  # fmt: skip
    final = SubmissionFile.objects.create(
        submission=world.q, kind=FileKind.CAMERA_READY, file="final.pdf", sha256="0" * 64,
        size=10, uploaded_by=world.users["author-Q"],
    )  # fmt: skip
    Submission.objects.filter(pk=world.q.pk).update(camera_ready=final)


# --- Recipients ------------------------------------------------------------------------------


def test_recipients_per_kind(world):
    w = world.workshop
    contact = mail_pairs(w, kind=RecipientKind.CONTACT_AUTHORS)
    assert emails(contact) == [(AUTHOR_P[1], 1), (AUTHOR_Q[1], 2)]
    everyone = mail_pairs(w, kind=RecipientKind.AUTHORS)
    assert emails(everyone) == [(AUTHOR_P[1], 1), (AUTHOR_P[4], 1), (AUTHOR_Q[1], 2)]
    reviewers = mail_pairs(w, kind=RecipientKind.REVIEWERS)
    assert sorted(emails(reviewers)) == sorted(
        (PEOPLE[k][1], 1) for k in ("R1-submitted", "R2-draft", "R3-not-started")
    )
    acs = mail_pairs(w, kind=RecipientKind.AREA_CHAIRS)
    assert emails(acs) == [(PEOPLE["AC-of-P"][1], 1), (PEOPLE["AC-of-Q"][1], 2)]
    # The late reviewers are the progress page's: R2 (a draft) and R3 (not started).
    late = mail_pairs(w, kind=RecipientKind.LATE_REVIEWERS)
    assert sorted(emails(late)) == [(PEOPLE["R2-draft"][1], 1), (PEOPLE["R3-not-started"][1], 1)]
    assert {p.user_id for p in late} == set(late_reviewers(w))

    # The same people the progress page counts as late (one mail each for a general text).
    progress = review_progress(w, page_size=None)
    draft = mail_campaign_compose(
        workshop=w, actor=world.users["chair-A"], kind=RecipientKind.LATE_REVIEWERS,
        subject="S", body="B",
    )  # fmt: skip
    assert sorted(m.to for m in draft.mails) == sorted(
        r.email for r in progress.reviewers if r.late
    )


def test_the_desk_search_selects_the_papers_and_camera_is_a_keyword(world):
    accept_both_with_a_camera_ready_for_q(world)
    w = world.workshop
    pairs = mail_pairs(w, kind=RecipientKind.AUTHORS, condition=search(world, "-camera:yes"))
    assert {p.submission.number for p in pairs} == {1}
    no_camera = search(world, "decision:accept camera:no")
    assert emails(mail_pairs(w, kind=RecipientKind.CONTACT_AUTHORS, condition=no_camera)) == [
        (AUTHOR_P[1], 1)
    ]
    assert emails(mail_pairs(w, kind=RecipientKind.AREA_CHAIRS, condition=search(world, "#2"))) == [
        (PEOPLE["AC-of-Q"][1], 2)
    ]


# --- Merge fields ----------------------------------------------------------------------------


def test_merge_fields_are_filled_per_recipient_and_paper(world):
    # The authors' next milestone is the camera-ready deadline: 23:59 AoE = 11:59 UTC.
    due = dt.datetime(2031, 3, 2, 11, 59, tzinfo=dt.UTC)
    Workshop.objects.filter(pk=world.workshop.pk).update(
        supplementary_deadline=None, rebuttal_opens=None, rebuttal_closes=None,
        camera_ready_deadline=due,
    )  # fmt: skip
    world.workshop.refresh_from_db()
    draft = mail_campaign_compose(
        workshop=world.workshop, actor=world.users["chair-A"], kind=RecipientKind.AUTHORS,
        subject="[{workshop}] #{paper_number}", condition=search(world, "#1"),
        body="Dear {name},\n{paper_title}\n{paper_url}\n{camera_ready_url}\n{deadline}\n{{x}}",
    )  # fmt: skip
    assert draft.per_paper and len(draft.mails) == 2 and draft.people == 2
    first = draft.mails[0]
    assert first.to == AUTHOR_P[1] and first.subject == "[WSA] #1"
    lines = first.body.splitlines()
    assert lines[0] == "Dear ZQAUTHORNAME Pauthor,"
    assert lines[1] == f"{P_TITLE} Paper under review"
    assert lines[2].endswith(reverse("submissions:detail", args=[world.p.pk]))
    assert lines[3].endswith(reverse("submissions:camera_ready", args=[world.p.pk]))
    assert lines[4] == "Sat 1 Mar 2031, 23:59 AoE"
    assert lines[5] == "{x}"  # doubled braces are a literal brace


def test_reviewers_get_their_review_page_and_deadline_in_aoe(world):
    draft = mail_campaign_compose(
        workshop=world.workshop, actor=world.users["chair-A"],
        kind=RecipientKind.LATE_REVIEWERS, subject="Your review of #{paper_number}",
        body="{review_url} by {deadline}",
    )  # fmt: skip
    assert sorted(m.to for m in draft.mails) == sorted(
        [PEOPLE["R2-draft"][1], PEOPLE["R3-not-started"][1]]
    )
    link, deadline = draft.mails[0].body.split(" by ")
    assert link.endswith(reverse("reviews:paper", args=[world.workshop.slug, 1]))
    # The review deadline (the next reviewers' milestone), shown in AoE (UTC-12).
    due = world.workshop.review_deadline - dt.timedelta(hours=12)
    assert deadline == due.strftime("%a %-d %b %Y, %H:%M AoE")


def test_a_text_without_paper_fields_goes_once_per_person(world):
    # AC-of-P is also nothing else; an author of two papers would get one mail.
    Submission.objects.filter(pk=world.q.pk).update(title="Second")
    from submissions.models import Authorship

    Authorship.objects.create(submission=world.q, position=2, name="ZQAUTHORNAME Pauthor",
                              email=AUTHOR_P[1])  # fmt: skip
    draft = mail_campaign_compose(
        workshop=world.workshop, actor=world.users["chair-A"], kind=RecipientKind.AUTHORS,
        subject="Dinner", body="Dear {name}, dinner is at 7.",
    )  # fmt: skip
    assert not draft.per_paper
    assert sorted(m.to for m in draft.mails) == sorted([AUTHOR_P[1], AUTHOR_P[4], AUTHOR_Q[1]])
    both = next(m for m in draft.mails if m.to == AUTHOR_P[1])
    assert [p.number for p in both.papers] == [1, 2]


def test_chair_text_is_never_a_template():
    values = {"name": "Ada"}
    text = "{{ settings.SECRET_KEY }} {% debug %} {name.__class__} {0} {name} {"
    assert merge_render(text, values) == (
        "{ settings.SECRET_KEY } {% debug %} {name.__class__} {0} Ada {"
    )


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("body", "Hello {nmae}", "Unknown merge field {nmae}."),
        ("subject", "{title} and {x}", "Unknown merge fields {title}, {x}."),
        ("body", "{name.__class__}", "Unknown merge field {name.__class__}."),
    ],
)
def test_an_unknown_field_is_a_form_error_naming_it(client, world, field, text, expected):
    data = {"recipients": "authors", "q": "", "subject": "S", "body": "B", "token": TOKEN,
            "do": "hold", field: text}  # fmt: skip
    response = chair(client, world).post(url(world), data)
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(e.startswith(expected) for e in errors), errors
    assert not OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).exists()
    # What was typed is kept.
    assert text in response.content.decode().replace("&#x27;", "'").replace("&amp;", "&") or (
        response.context["form"].data[field] == text
    )


@pytest.mark.parametrize("empty", ["subject", "body"])
def test_holding_an_empty_mail_asks_for_the_text_and_keeps_the_page(client, world, empty):
    """Found by the form fuzzer: "Hold" with an empty subject or text answered 500."""
    response = chair(client, world).post(url(world), compose_data(do="hold", **{empty: ""}))
    assert response.status_code == 200
    assert response.context["form"].errors[empty] == ["Write the mail first."]
    assert not OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).exists()


def test_the_camera_ready_link_is_for_authors_only(world):
    with pytest.raises(ServiceError, match="for mail to authors only"):
        mail_campaign_hold(
            workshop=world.workshop, chair=world.users["chair-A"], token=TOKEN,
            kind=RecipientKind.REVIEWERS, subject="S", body="{camera_ready_url}",
        )  # fmt: skip


# --- The page: preview, hold, release -------------------------------------------------------


def compose_data(**extra: str) -> dict[str, str]:
    return {
        "recipients": "contact_authors",
        "q": "decision:accept camera:no",
        "subject": "[{workshop}] Camera-ready of #{paper_number}",
        "body": "Dear {name},\n\nplease upload {paper_title} at {camera_ready_url}.",
        "token": TOKEN,
        **extra,
    }


def test_the_desk_links_here_with_its_search_and_the_form_starts_filled(client, world):
    desk = reverse("admin:reviews_decisionboard_changelist")
    query = f"?workshop={world.workshop.pk}&q=decision%3Aaccept+camera%3Ano&topic=3"
    board = chair(client, world).get(desk + query).content.decode()
    link = re.search(r'<a href="([^"]+)">Mail the authors of these papers</a>', board).group(1)
    assert link == url(world) + query.replace("&", "&amp;")
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="decision:accept camera:no"' in page
    assert '<input type="hidden" name="topic" value="3">' in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert len(token) >= 16
    for name in ("recipients", "q", "subject", "body"):
        assert f'for="id_{name}"' in page  # a label for every field
    # Who the search reaches is on the page before a word is written.
    response = client.get(url(world) + "?q=&recipients=authors")
    assert [m.to for m in response.context["draft"].mails] == [
        AUTHOR_P[1], AUTHOR_P[4], AUTHOR_Q[1]
    ]  # fmt: skip
    page = response.content.decode()
    assert "<strong>3</strong> mails to <strong>3</strong> people" in page
    assert "Preview the mail of" not in page  # nothing to preview yet
    response = client.get(url(world) + "?q=%28")
    assert response.context["draft"] is None
    assert any("cannot be read" in str(m) for m in response.context["messages"])


def test_preview_lists_the_recipients_and_renders_the_one_picked(client, world):
    accept_both_with_a_camera_ready_for_q(world)
    data = compose_data(recipients="authors", q="decision:accept", do="preview")
    response = chair(client, world).post(url(world), data)
    draft = response.context["draft"]
    assert [m.to for m in draft.mails] == [AUTHOR_P[1], AUTHOR_P[4], AUTHOR_Q[1]]
    page = response.content.decode()
    assert "<strong>3</strong> mails to <strong>3</strong> people" in page
    assert response.context["preview"].to == AUTHOR_P[1]  # the first by default
    picked = draft.mails[2].choice
    response = client.post(url(world), {**data, "preview": picked})
    preview = response.context["preview"]
    assert preview.to == AUTHOR_Q[1] and preview.subject == "[WSA] Camera-ready of #2"
    assert "Dear ZQOTHERAUTHOR" in response.content.decode()
    assert not OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).exists()  # a preview stores nothing


def test_hold_stores_held_mails_and_one_entry_and_sends_nothing(client, world):
    accept_both_with_a_camera_ready_for_q(world)
    mail.outbox.clear()
    with on_commit():
        response = chair(client, world).post(url(world), compose_data(do="hold"))
    assert response.status_code == 302
    held = list(OutgoingMail.objects.filter(kind=CAMPAIGN_KIND))
    assert [(m.to, m.status, m.submission_id) for m in held] == [
        (AUTHOR_P[1], MailStatus.HELD, world.p.pk)
    ]
    assert held[0].subject == "[WSA] Camera-ready of #1"
    assert held[0].reply_to == world.workshop.contact_email
    assert mail.outbox == []
    entries = Activity.objects.filter(workshop=world.workshop, action=CAMPAIGN_ACTION)
    assert entries.count() == 1 and held[0].target == entries.get()
    assert entries.get().after["query"] == "decision:accept camera:no"
    page = client.get(url(world)).content.decode()
    assert "Release 1 mail" in page
    # The outbox, filtered to this page's held mail, is where the texts can be proofread too.
    outbox = re.search(r'<a href="([^"]+)">Proofread the held mails', page).group(1)
    listing = client.get(outbox.replace("&amp;", "&"))
    assert listing.status_code == 200
    assert [m.pk for m in listing.context["cl"].result_list] == [held[0].pk]


def test_a_double_submit_holds_the_mails_once(client, world):
    chair(client, world)
    with on_commit():
        first = client.post(url(world), compose_data(q="", recipients="authors", do="hold"))
        second = client.post(url(world), compose_data(q="", recipients="authors", do="hold"))
    assert first.status_code == second.status_code == 302
    assert OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).count() == 3
    assert Activity.objects.filter(action=CAMPAIGN_ACTION).count() == 1
    messages = [str(m) for m in second.wsgi_request._messages]
    assert any("held already" in m for m in messages), messages


def test_release_sends_each_mail_once_through_the_outbox(client, world):
    held = mail_campaign_hold(
        workshop=world.workshop, chair=world.users["chair-A"], token=TOKEN,
        kind=RecipientKind.AUTHORS, subject="#{paper_number}", body="Hello {name}",
    )  # fmt: skip
    mail.outbox.clear()
    with on_commit():  # the outbox's delivery task runs eagerly on commit
        response = chair(client, world).post(
            url(world), {"do": "release", "campaign": held.entry.pk}
        )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted([AUTHOR_P[1], AUTHOR_P[4], AUTHOR_Q[1]])
    assert {m.body for m in mail.outbox} >= {"Hello ZQOTHERAUTHOR Qauthor"}
    assert set(
        OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).values_list("status", flat=True)
    ) == {MailStatus.SENT}
    assert Activity.objects.filter(action="outbox.release").count() == 1
    with on_commit():
        again = mail_campaign_release(
            workshop=world.workshop, chair=world.users["chair-A"], campaign_id=held.entry.pk
        )
        outbox_sweep()
    assert again == 0 and len(mail.outbox) == 3  # never twice


def test_discard_cancels_what_is_held(client, world):
    held = mail_campaign_hold(
        workshop=world.workshop, chair=world.users["chair-A"], token=TOKEN,
        kind=RecipientKind.AREA_CHAIRS, subject="Meta-reviews", body="Dear {name}",
    )  # fmt: skip
    chair(client, world).post(url(world), {"do": "discard", "campaign": held.entry.pk})
    assert set(
        OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).values_list("status", flat=True)
    ) == {MailStatus.CANCELLED}


# --- Who may ---------------------------------------------------------------------------------


def test_a_chair_of_another_workshop_is_refused(client, world):
    chair(client, world, "chair-B")
    assert client.get(url(world)).status_code == 404
    assert client.post(url(world), compose_data(do="hold")).status_code == 404
    with pytest.raises(NotAllowed):
        mail_campaign_hold(
            workshop=world.workshop, chair=world.users["chair-B"], token=TOKEN,
            kind=RecipientKind.AUTHORS, subject="S", body="B",
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        mail_campaign_compose(workshop=world.workshop, actor=world.users["R1-submitted"],
                              kind=RecipientKind.AUTHORS, subject="S", body="B")  # fmt: skip
    assert not OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).exists()


def test_a_release_names_a_campaign_of_this_workshop(client, world):
    held = mail_campaign_hold(
        workshop=world.workshop, chair=world.users["chair-A"], token=TOKEN,
        kind=RecipientKind.AUTHORS, subject="S", body="B",
    )  # fmt: skip
    other = Activity.objects.create(workshop=world.other, action=CAMPAIGN_ACTION)
    chair(client, world).post(url(world), {"do": "release", "campaign": other.pk})
    chair(client, world).post(url(world), {"do": "release", "campaign": "x"})
    assert OutgoingMail.objects.filter(kind=CAMPAIGN_KIND, status=MailStatus.HELD).count() == 3
    assert held.mails == 3


def test_the_outbox_shows_a_held_mail_body_to_chairs(client, world):
    mail_campaign_hold(
        workshop=world.workshop, chair=world.users["chair-A"], token=TOKEN,
        kind=RecipientKind.CONTACT_AUTHORS, subject="S", body="Dear {name},\n<b>two</b> lines",
    )  # fmt: skip
    held = OutgoingMail.objects.get(kind=CAMPAIGN_KIND, to=AUTHOR_P[1])
    change = reverse("admin:workshop_outgoingmail_change", args=[held.pk])
    page = chair(client, world).get(change).content.decode()
    assert (
        '<pre class="outbox-body">Dear ZQAUTHORNAME Pauthor,\n&lt;b&gt;two&lt;/b&gt; lines</pre>'
        in page
    )
    chair(client, world, "chair-B")
    assert client.get(change).status_code in (302, 403, 404)
