"""`manage.py transfer_export --workshop <slug> -o file.zip`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workshop.activity import activity_record
from workshop.models import Workshop
from workshop.policy import SYSTEM

from ...exporters import EXPORTS


class Command(BaseCommand):
    help = (
        "Write a workshop: our full archive (every row and file, signed), or HotCRP's, "
        "OpenReview's or EasyChair's shapes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workshop", required=True, help="slug of the workshop")
        parser.add_argument("-o", "--output", type=Path, required=True, help="the zip to write")
        parser.add_argument(
            "--format",
            choices=sorted(EXPORTS),
            default="archive",
            help="archive (ours, every row and file), hotcrp, openreview or easychair",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workshop = Workshop.objects.filter(slug=options["workshop"]).first()
        if workshop is None:
            raise CommandError(f"No workshop {options['workshop']!r}.")
        data = EXPORTS[options["format"]][1](workshop=workshop)
        options["output"].write_bytes(data)
        activity_record(
            actor=SYSTEM,
            action="transfer.export",
            target=workshop,
            workshop=workshop,
            summary=f"Exported as {options['format']} ({len(data):,} bytes)",
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {options['output']} ({len(data):,} bytes)."))
