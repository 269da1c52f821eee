"""The submissions list and the outbox show one workshop at a time (issue 12): a chair of
two workshops gets a switcher on top and only the shown workshop's topics, types and mail
kinds as filters; rows are printed by one loop and still carry the action checkboxes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from submissions.models import Submission, SubmissionType
from tests.factories import SubmissionFactory, TopicFactory, WorkshopFactory, make_chair
from workshop.models import OutgoingMail, Workshop

pytestmark = pytest.mark.django_db
PAPERS = "admin:submissions_submission_changelist"
OUTBOX = "admin:workshop_outgoingmail_changelist"


@pytest.fixture(scope="module")
def two(django_db_setup, django_db_blocker):
    """One chair of two workshops: CALLING (call open) and DECIDING (reviews are in)."""
    with django_db_blocker.unblock(), transaction.atomic():
        now = timezone.now()
        calling = WorkshopFactory(short_name="CALLING", slug="calling-ws")
        deciding = WorkshopFactory(short_name="DECIDING", slug="deciding-ws")
        Workshop.objects.filter(pk=deciding.pk).update(
            submission_opens=now - dt.timedelta(days=40),
            paper_deadline=now - dt.timedelta(days=30),
            bidding_deadline=now - dt.timedelta(days=25),
            review_deadline=now - dt.timedelta(days=1),
            notification_date=now + dt.timedelta(days=7),
        )
        chair = make_chair(calling, name="Two Hats", email="two@hats.example.org")
        make_chair(deciding, name="Other", email="other@hats.example.org")
        from workshop.services import membership_grant

        membership_grant(workshop=deciding, user=chair, role="chair")
        for ws, tag in ((calling, "CALLTOPIC"), (deciding, "DECIDETOPIC")):
            topic = TopicFactory(workshop=ws, name=tag)
            kind = SubmissionType.objects.create(workshop=ws, name=f"{tag}-type", page_limit=8)
            SubmissionFactory(workshop=ws, title=f"<b>{tag} paper</b>", primary_topic=topic,
                              submission_type=kind, created_by=chair, contact=False)  # fmt: skip
            OutgoingMail.objects.create(
                key=f"k-{tag}", workshop=ws, to=f"{tag.lower()}@x.org", kind=f"{tag.lower()}_kind",
                subject=f"Mail of {tag} <i>", body_text=".", status="sent",
            )  # fmt: skip
        yield chair, calling, deciding
        transaction.set_rollback(True)


def test_the_list_opens_on_the_workshop_deciding_with_only_its_filters(client, two):
    chair, calling, _deciding = two
    client.force_login(chair)
    page = client.get(reverse(PAPERS)).content.decode()
    assert "DECIDETOPIC paper" in page and "CALLTOPIC paper" not in page
    assert "DECIDETOPIC-type" in page and "CALLTOPIC-type" not in page  # filters: this one's
    assert "&lt;b&gt;DECIDETOPIC paper&lt;/b&gt;" in page  # escaped once, in the one loop
    assert 'class="action-select"' in page and 'name="_selected_action"' in page
    assert 'aria-current="page">DECIDING<' in page  # the switcher
    page = client.get(reverse(PAPERS), {"workshop__id__exact": calling.pk}).content.decode()
    assert "CALLTOPIC paper" in page and "DECIDETOPIC paper" not in page
    assert "CALLTOPIC-type" in page and "DECIDETOPIC-type" not in page
    assert 'aria-current="page">CALLING<' in page


def test_the_outbox_shows_one_workshops_mail_and_its_kinds(client, two):
    chair, calling, _deciding = two
    client.force_login(chair)
    page = client.get(reverse(OUTBOX)).content.decode()
    assert "Mail of DECIDETOPIC &lt;i&gt;" in page and "Mail of CALLTOPIC" not in page
    assert "decidetopic_kind" in page and "calltopic_kind" not in page
    page = client.get(reverse(OUTBOX), {"workshop__id__exact": calling.pk}).content.decode()
    assert "Mail of CALLTOPIC" in page and "decidetopic_kind" not in page


def test_an_action_on_the_list_exports_what_was_ticked(client, two):
    chair, _, deciding = two
    client.force_login(chair)
    paper = Submission.objects.get(workshop=deciding)
    response = client.post(
        reverse(PAPERS), {"action": "export_csv", "_selected_action": [paper.pk]}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "DECIDETOPIC paper" in body


def test_another_workshops_id_shows_nothing_of_it(client, two):
    chair, _, _ = two
    stranger = WorkshopFactory(short_name="STRANGER")
    TopicFactory(workshop=stranger, name="STRANGETOPIC")
    client.force_login(chair)
    page = client.get(reverse(PAPERS), {"workshop__id__exact": stranger.pk}).content.decode()
    assert "STRANGETOPIC" not in page and "STRANGER" not in page


def test_forged_ids_beyond_64_bits_are_refused_not_500(client, two):
    """SQLite cannot bind such a number: the form or the list answers, never a 500."""
    chair, _, _ = two
    client.force_login(chair)
    huge = "99999999999999999999"
    page = client.get(reverse(PAPERS), {"workshop__id__exact": huge})
    assert page.status_code == 200
    page = client.get(reverse(OUTBOX), {"workshop__id__exact": huge, "kind": huge})
    assert page.status_code == 200
    response = client.post(reverse("api_tokens:new"), {
        "name": "x", "workshops": [huge], "scope": "r", "expires_in_days": "30"})  # fmt: skip
    assert response.status_code == 200 and "valid choice" in response.content.decode()
