"""The core app's actions (outbox release and retry, configuration) go through the policy
and write the activity log."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from tests.factories import WorkshopFactory, make_chair
from workshop import outbox
from workshop.errors import NotAllowed
from workshop.models import Activity, MailStatus, OutgoingMail
from workshop.policy import SYSTEM
from workshop.services import outbox_release, outbox_retry

pytestmark = pytest.mark.django_db


def held(workshop, key: str) -> OutgoingMail:
    mail, created = outbox.mail_queue(
        key=key, template="test_message", to="kim@example.org", context={"name": "Kim"},
        workshop=workshop, held=True,
    )  # fmt: skip
    assert created
    return mail


def test_a_chair_releases_held_mail_of_their_workshop_with_one_entry():
    a = WorkshopFactory()
    chair = make_chair(a)
    mails = [held(a, "h1"), held(a, "h2")]
    with TestCase.captureOnCommitCallbacks(execute=False):
        moved = outbox_release(actor=chair, mail_ids=[m.pk for m in mails])
    assert moved == 2
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.QUEUED}
    entry = Activity.objects.get(action="outbox.release")
    assert (entry.workshop, entry.actor) == (a, chair)


def test_a_chair_of_another_workshop_cannot_release_or_retry():
    a, b = WorkshopFactory(), WorkshopFactory()
    mail = held(a, "h1")
    with pytest.raises(NotAllowed):
        outbox_release(actor=make_chair(b), mail_ids=[mail.pk])
    mail.refresh_from_db()
    assert mail.status == MailStatus.HELD
    OutgoingMail.objects.filter(pk=mail.pk).update(status=MailStatus.FAILED)
    with pytest.raises(NotAllowed):
        outbox_retry(actor=make_chair(b, email="c2@b.org"), mail_ids=[mail.pk])
    assert not Activity.objects.filter(action__startswith="outbox.").exists()


def test_the_system_retries_failed_mail_and_is_logged_as_system():
    a = WorkshopFactory()
    mail = held(a, "h1")
    OutgoingMail.objects.filter(pk=mail.pk).update(status=MailStatus.FAILED)
    with TestCase.captureOnCommitCallbacks(execute=False):
        assert outbox_retry(actor=SYSTEM, mail_ids=[mail.pk]) == 1
    entry = Activity.objects.get(action="outbox.retry")
    assert entry.actor is None and entry.actor_label == "system"


def test_the_admin_action_releases_through_the_service(client):
    a = WorkshopFactory()
    chair = make_chair(a)
    mail = held(a, "h1")
    client.force_login(chair)
    response = client.post(
        reverse("admin:workshop_outgoingmail_changelist"),
        {"action": "release_held", "_selected_action": [mail.pk]},
    )
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.status == MailStatus.QUEUED
    assert Activity.objects.filter(action="outbox.release", actor=chair).count() == 1


def test_config_save_refuses_the_release_switches_whoever_calls_it():
    """The admin shows the switches read-only; the service refuses them too, so no other
    caller (a script, a future API) can release around `reviews_release`/`decisions_release`."""
    from workshop.services import config_save

    a = WorkshopFactory()
    chair = make_chair(a)
    a.decisions_released = True
    a.name = "Renamed"
    with pytest.raises(NotAllowed):
        config_save(actor=chair, instance=a)
    a.refresh_from_db()
    assert a.decisions_released is False and a.name != "Renamed"
    assert not Activity.objects.filter(action="workshop.configure").exists()
    new = WorkshopFactory.build(reviews_released=True, slug="fresh")
    with pytest.raises(NotAllowed):
        config_save(actor=SYSTEM, instance=new)
    assert new.pk is None


@pytest.mark.parametrize("selection", [["abc"], ["1", "x"], ["1.5"]])
def test_a_forged_action_selection_is_a_message_not_a_500(client, selection):
    a = WorkshopFactory()
    mail = held(a, "h1")
    client.force_login(make_chair(a))
    response = client.post(
        reverse("admin:workshop_outgoingmail_changelist"),
        {"action": "release_held", "_selected_action": selection},
    )
    assert response.status_code == 302
    mail.refresh_from_db()
    assert mail.status == MailStatus.HELD
    assert not Activity.objects.filter(action="outbox.release").exists()
