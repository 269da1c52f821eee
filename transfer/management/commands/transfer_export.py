"""`manage.py transfer_export --workshop <slug> -o file.zip`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workshop.activity import activity_record
from workshop.models import Workshop
from workshop.policy import SYSTEM

from ...archive import archive_export


class Command(BaseCommand):
    help = "Write the full archive of a workshop (every row and file, SHA-256 manifest)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workshop", required=True, help="slug of the workshop")
        parser.add_argument("-o", "--output", type=Path, required=True, help="the zip to write")

    def handle(self, *args: Any, **options: Any) -> None:
        workshop = Workshop.objects.filter(slug=options["workshop"]).first()
        if workshop is None:
            raise CommandError(f"No workshop {options['workshop']!r}.")
        data = archive_export(workshop=workshop)
        options["output"].write_bytes(data)
        activity_record(
            actor=SYSTEM,
            action="transfer.export",
            target=workshop,
            workshop=workshop,
            summary=f"Archive exported ({len(data):,} bytes)",
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {options['output']} ({len(data):,} bytes)."))
