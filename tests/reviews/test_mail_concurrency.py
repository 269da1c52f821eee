"""Two copies of one mail form held at the same moment (a double click that reaches two
workers): the second waits for the first and finds its mail, so one activity entry and one
set of held mails exist (threads on PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from reviews.selectors.mail import CAMPAIGN_ACTION, CAMPAIGN_KIND
from reviews.services.mail import mail_campaign_hold
from submissions.models import Submission, SubmissionType
from tests.factories import TopicFactory, UserFactory, WorkshopFactory, make_chair
from tests.reviews.threads import run_in_thread
from tests.submissions.conftest import new_submission
from workshop.models import Activity, OutgoingMail, User, Workshop

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and threads need PostgreSQL"
    ),
]
TOKEN = "double-click-token-0001"


def test_two_holds_of_one_form_at_once_hold_its_mails_once():
    workshop = WorkshopFactory()
    TopicFactory(workshop=workshop, name="Evaluation")
    SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    chair = make_chair(workshop)
    for i in range(3):
        new_submission(workshop, UserFactory(email=f"author{i}@lab{i}.org"), with_pdf=False)
    Submission.objects.filter(workshop=workshop).update(status="submitted")
    held = threading.Event()
    results: dict[str, object] = {}

    def hold(name: str) -> None:
        results[name] = mail_campaign_hold(
            workshop=Workshop.objects.get(pk=workshop.pk), chair=User.objects.get(pk=chair.pk),
            token=TOKEN, kind="authors", subject="News", body="Dear {name}",
        )  # fmt: skip

    def first() -> None:
        # Holds, then keeps its transaction open while the second copy arrives.
        with transaction.atomic():
            hold("first")
            held.set()
            time.sleep(1.0)

    def second() -> None:
        held.wait(10)
        hold("second")

    close_old_connections()
    t1, errors1 = run_in_thread(first)
    t2, errors2 = run_in_thread(second)
    t1.join(30)
    t2.join(30)
    assert not errors1 and not errors2, errors1 + errors2
    assert results["first"].created and not results["second"].created
    assert results["first"].entry.pk == results["second"].entry.pk
    assert Activity.objects.filter(action=CAMPAIGN_ACTION).count() == 1
    assert OutgoingMail.objects.filter(kind=CAMPAIGN_KIND).count() == 3
