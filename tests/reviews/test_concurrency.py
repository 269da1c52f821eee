"""Concurrent first opens of the decision board (threads on PostgreSQL, never a 500).

The board creates the default decision categories on its first open. Two chairs opening it
at once both find none and both insert: the unique (workshop, name) constraint must decide,
and the loser must find the winner's rows instead of failing with an IntegrityError.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from reviews.models import DecisionCategory
from reviews.services.decisions import DEFAULT_CATEGORIES, default_categories_create
from tests.factories import WorkshopFactory
from workshop.models import Workshop

from .threads import run_in_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and threads need PostgreSQL"
    ),
]


def test_two_first_opens_at_once_create_the_defaults_once_and_both_succeed():
    workshop = WorkshopFactory()
    inserted = threading.Event()
    results: dict[str, list[str]] = {}

    def first() -> None:
        # Inserts the defaults and keeps its transaction open until the second request
        # has checked (found nothing committed) and is waiting on the unique index.
        with transaction.atomic():
            found = default_categories_create(Workshop.objects.get(pk=workshop.pk))
            inserted.set()
            time.sleep(1.0)
        results["first"] = [c.name for c in found]

    def second() -> None:
        inserted.wait(10)
        found = default_categories_create(Workshop.objects.get(pk=workshop.pk))
        results["second"] = [c.name for c in found]

    close_old_connections()
    t1, errors1 = run_in_thread(first)
    t2, errors2 = run_in_thread(second)
    t1.join(30)
    t2.join(30)
    assert not errors1 and not errors2, errors1 + errors2
    names = [name for name, _ in DEFAULT_CATEGORIES]
    assert results["first"] == results["second"] == names
    assert DecisionCategory.objects.filter(workshop=workshop).count() == len(names)


def test_many_first_opens_at_once_never_fail():
    workshop = WorkshopFactory()
    barrier = threading.Barrier(6)

    def open_board() -> None:
        barrier.wait(10)
        default_categories_create(Workshop.objects.get(pk=workshop.pk))

    started = [run_in_thread(open_board) for _ in range(6)]
    for thread, _ in started:
        thread.join(30)
    assert [e for _, errors in started for e in errors] == []
    assert DecisionCategory.objects.filter(workshop=workshop).count() == len(DEFAULT_CATEGORIES)
