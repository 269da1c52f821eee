"""The data migration that moves the old `SubmissionEvent` history into the activity log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

WORKSHOP = ("workshop", "0006_activity_log_and_mail_targets")
BEFORE = [("submissions", "0002_camera_ready"), WORKSHOP]
AFTER = [("submissions", "0003_history_in_activity_log"), WORKSHOP]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_events_become_the_papers_activity_entries_and_receipts_follow_them():
    old = _migrate(BEFORE)
    User = old.get_model("workshop", "User")
    Workshop = old.get_model("workshop", "Workshop")
    Submission = old.get_model("submissions", "Submission")
    Event = old.get_model("submissions", "SubmissionEvent")
    Mail = old.get_model("workshop", "OutgoingMail")
    Activity = old.get_model("workshop", "Activity")
    now = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    user = User.objects.create(email="old@example.org", name="Old Author")
    dates = {
        f.name: now + dt.timedelta(days=i)  # every milestone after the one before
        for i, f in enumerate(Workshop._meta.fields)
        if f.get_internal_type() == "DateTimeField" and not f.null
    }
    dates["submission_opens"] = now - dt.timedelta(days=1)
    workshop = Workshop.objects.create(
        name="Old", short_name="OLD", slug="old", contact_email="c@x.org", **dates
    )
    paper = Submission.objects.create(workshop=workshop, number=7, title="Old", created_by=user)
    # An unrelated entry first, so that event and entry ids differ.
    Activity.objects.create(workshop=workshop, action="conflict.set", at=now)
    created = Event.objects.create(submission=paper, actor=user, kind="created", summary="Draft")
    Event.objects.create(submission=paper, kind="checked", summary="done")
    Event.objects.filter(pk=created.pk).update(at=now)
    Mail.objects.create(
        key=f"receipt:{created.pk}:old@example.org", to="old@example.org", kind="x", subject="s"
    )

    new = _migrate(AFTER)
    Activity = new.get_model("workshop", "Activity")
    Mail = new.get_model("workshop", "OutgoingMail")
    entries = list(Activity.objects.filter(submission_id=paper.pk).order_by("pk"))
    assert [(e.action, e.actor_id, e.summary, e.authors_see) for e in entries] == [
        ("submission.create", user.pk, "Draft", True),
        ("submission.check", None, "done", True),
    ]
    assert entries[0].at == now and entries[0].workshop_id == workshop.pk
    assert entries[0].target_id == paper.pk and entries[0].target_type.model == "submission"
    (receipt,) = Mail.objects.filter(key__startswith="receipt:")
    assert receipt.key == f"receipt:{entries[0].pk}:old@example.org"
    assert receipt.submission_id == paper.pk
    assert "submissions_submissionevent" not in connection.introspection.table_names()

    # And back: the entries are events again.
    old = _migrate(BEFORE)
    Event = old.get_model("submissions", "SubmissionEvent")
    assert sorted(Event.objects.values_list("kind", flat=True)) == ["checked", "created"]
    _migrate(executor_leaves())


def executor_leaves():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
