"""The history of a paper moves into the one activity log (`workshop.Activity`).

Every `SubmissionEvent` becomes an activity entry of its paper (same time, actor and
summary; `authors_see=True`, so its authors keep reading it as the paper's history), named
like the actions that now write it (`created` -> `submission.create`, ...). The receipts
the old events caused were keyed `receipt:<event id>:<email>`; they are re-keyed to the new
entry's id, so that a receipt of a new entry can never collide with an old one. Then the
`SubmissionEvent` model goes.
"""

from django.db import migrations

ACTIONS = {
    "created": "submission.create",
    "edited": "submission.edit",
    "authors": "submission.authors",
    "uploaded": "submission.upload",
    "submitted": "submission.submit",
    "withdrawn": "submission.withdraw",
    "restored": "submission.restore",
    "conflicts": "submission.conflicts",
    "checked": "submission.check",
}
KINDS = {action: kind for kind, action in ACTIONS.items()}
BATCH = 500


def events_to_activity(apps, schema_editor):
    Event = apps.get_model("submissions", "SubmissionEvent")
    Activity = apps.get_model("workshop", "Activity")
    OutgoingMail = apps.get_model("workshop", "OutgoingMail")
    ContentType = apps.get_model("contenttypes", "ContentType")
    paper_type, _ = ContentType.objects.get_or_create(app_label="submissions", model="submission")

    new_id: dict[int, int] = {}
    paper_of: dict[int, int] = {}
    events = Event.objects.select_related("submission").order_by("pk")
    batch = []
    for event in events.iterator(chunk_size=BATCH):
        paper = event.submission
        batch.append(
            (
                event.pk,
                Activity(
                    workshop_id=paper.workshop_id,
                    actor_id=event.actor_id,
                    action=ACTIONS.get(event.kind, f"submission.{event.kind}")[:60],
                    target_type=paper_type,
                    target_id=paper.pk,
                    submission_id=paper.pk,
                    target_label=f"#{paper.number} {paper.title}"[:255],
                    summary=event.summary,
                    at=event.at,
                    authors_see=True,
                ),
            )
        )
        paper_of[event.pk] = paper.pk
        if len(batch) >= BATCH:
            _flush(Activity, batch, new_id)
    _flush(Activity, batch, new_id)

    # Re-key the receipts in two passes (old and new ids overlap: no transient duplicate).
    receipts = list(OutgoingMail.objects.filter(key__startswith="receipt:").only("pk", "key"))
    renamed = []
    for mail in receipts:
        _, event_id, email = mail.key.split(":", 2)
        if not event_id.isdigit() or int(event_id) not in new_id:
            continue
        renamed.append((mail.pk, int(event_id), email))
        OutgoingMail.objects.filter(pk=mail.pk).update(key=f"migrating-receipt:{mail.pk}")
    for mail_id, event_id, email in renamed:
        paper_id = paper_of[event_id]
        OutgoingMail.objects.filter(pk=mail_id).update(
            key=f"receipt:{new_id[event_id]}:{email}",
            target_type=paper_type,
            target_id=paper_id,
            submission_id=paper_id,
        )


def _flush(Activity, batch, new_id) -> None:
    created = Activity.objects.bulk_create([entry for _, entry in batch])
    for (event_id, _), entry in zip(batch, created, strict=True):
        new_id[event_id] = entry.pk
    batch.clear()


def activity_to_events(apps, schema_editor):
    """Backwards: the paper history entries become events again (receipts keep their keys)."""
    Event = apps.get_model("submissions", "SubmissionEvent")
    Activity = apps.get_model("workshop", "Activity")
    Submission = apps.get_model("submissions", "Submission")
    entries = Activity.objects.filter(
        authors_see=True, action__in=list(KINDS), submission_id__isnull=False
    )
    existing = set(Submission.objects.values_list("pk", flat=True))
    for entry in entries.iterator(chunk_size=BATCH):
        if entry.submission_id not in existing:
            continue
        event = Event.objects.create(
            submission_id=entry.submission_id,
            actor_id=entry.actor_id,
            kind=KINDS[entry.action],
            summary=entry.summary,
        )
        Event.objects.filter(pk=event.pk).update(at=entry.at)
    entries.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("submissions", "0002_camera_ready"),
        ("workshop", "0006_activity_log_and_mail_targets"),
    ]

    operations = [
        migrations.RunPython(events_to_activity, activity_to_events),
        migrations.DeleteModel(name="SubmissionEvent"),
    ]
