"""Where imported objects came from: the writer the importers call, and the reads."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from workshop.models import Workshop

from .models import SourceRecord, SourceSystem


class SourceKind(models.TextChoices):
    PAPER = "paper", "Paper"
    REVIEW = "review", "Review"
    MEMBER = "member", "Committee member"
    META_REVIEW = "meta_review", "Meta-review"
    COMMENT = "comment", "Comment"
    OTHER = "other", "Other record"


# A paper's conflicts with people not in the committee yet, kept in its source record until
# they join it.
PENDING = "pc_conflicts waiting for the committee"

# An import format's prefix (`hotcrp-papers`) to its system.
SYSTEMS = {
    "hotcrp": SourceSystem.HOTCRP,
    "openreview": SourceSystem.OPENREVIEW,
    "easychair": SourceSystem.EASYCHAIR,
}


def source_record_write(
    *,
    workshop: Workshop,
    system: str,
    kind: str,
    source_id: str,
    obj: models.Model,
    data: dict[str, Any],
) -> SourceRecord:
    """Record (or update) that `obj` is `system`'s `kind` `source_id`, with the source data
    that has no field here. Idempotent: the same record imported again changes only what
    changed."""
    record, _ = SourceRecord.objects.update_or_create(
        workshop=workshop,
        system=system,
        kind=kind,
        source_id=str(source_id)[:200],
        defaults={
            "content_type": ContentType.objects.get_for_model(obj),
            "object_id": obj.pk,
            "data": data,
        },
    )
    return record


def source_object_id(*, workshop: Workshop, system: str, kind: str, source_id: str) -> int | None:
    """The id of the object an earlier import made of this source record, if any."""
    return (
        SourceRecord.objects.filter(
            workshop=workshop, system=system, kind=kind, source_id=str(source_id)[:200]
        )
        .values_list("object_id", flat=True)
        .first()
    )


def source_records_write_many(
    *,
    workshop: Workshop,
    system: str,
    kind: str,
    items: list[tuple[str, models.Model, dict[str, Any]]],
) -> None:
    """`source_record_write` for many (source id, object, data) of one kind, in one upsert
    per thousand: the same rows, whatever was there before (a source id named twice keeps
    its last object and data)."""
    last = {str(source_id)[:200]: (obj, data) for source_id, obj, data in items if source_id}
    if not last:
        return
    SourceRecord.objects.bulk_create(
        [
            SourceRecord(
                workshop=workshop,
                system=system,
                kind=kind,
                source_id=source_id,
                content_type=ContentType.objects.get_for_model(obj),
                object_id=obj.pk,
                data=data,
            )
            for source_id, (obj, data) in last.items()
        ],
        update_conflicts=True,
        unique_fields=["workshop", "system", "kind", "source_id"],
        update_fields=["content_type", "object_id", "data", "imported_at"],
        batch_size=1000,
    )


def source_records_data_write(records: list[SourceRecord]) -> None:
    """Store the changed `data` of records read before (what a later import took from
    them, e.g. the conflicts it has now set), in one update per thousand."""
    now = timezone.now()
    for record in records:
        record.imported_at = now
    SourceRecord.objects.bulk_update(records, ["data", "imported_at"], batch_size=1000)
