"""`manage.py transfer_import <format> <file> --workshop <slug> [--dry-run]`, and
`manage.py transfer_import archive <file> [--slug <slug>] [--allow-unsigned] [--dry-run]`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workshop.models import User, Workshop
from workshop.plurals import counted
from workshop.policy import SYSTEM

from ...archive import archive_restore
from ...importers import ARCHIVE, FORMATS, run_import
from ...report import Report


class Command(BaseCommand):
    help = (
        "Import a HotCRP, OpenReview or EasyChair export into a workshop, or restore a "
        "workshop archive (format `archive`, no --workshop). All or nothing; prints the report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=sorted([*FORMATS, ARCHIVE]))
        parser.add_argument("file", type=Path)
        parser.add_argument("--workshop", help="slug of the workshop to import into")
        parser.add_argument("--slug", help="archive: restore under this slug instead")
        parser.add_argument(
            "--allow-unsigned",
            action="store_true",
            help="archive: restore one this deployment did not sign (another deployment's, "
            "or unsigned), with a warning; only if you trust where it came from",
        )
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")
        parser.add_argument(
            "--as", dest="as_email", help="e-mail of the chair to act as (default: the system)"
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--score-maps",
            type=Path,
            help="a JSON file of the score mappings you confirm, by field of the file: "
            '{"Overall evaluation": {"8": 4, "7": 4, ...}} (a dry run prints the proposals)',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        workshop = None
        if fmt != ARCHIVE:
            if not options["workshop"]:
                raise CommandError("--workshop is required for this format.")
            workshop = Workshop.objects.filter(slug=options["workshop"]).first()
            if workshop is None:
                raise CommandError(f"No workshop {options['workshop']!r}.")
        actor: Any = SYSTEM
        if options["as_email"]:
            actor = User.objects.filter(email__iexact=options["as_email"]).first()
            if actor is None:
                raise CommandError(f"No user {options['as_email']!r}.")
        data = options["file"].read_bytes()
        if fmt == ARCHIVE:
            report = Report(dry_run=options["dry_run"])
            archive_restore(
                actor=actor,
                data=data,
                report=report,
                slug=options["slug"],
                dry_run=options["dry_run"],
                allow_unsigned=options["allow_unsigned"],
            )
        else:
            confirmed: dict[str, Any] = {}
            if options["score_maps"]:
                try:
                    given = json.loads(options["score_maps"].read_text())
                except (OSError, ValueError) as exc:
                    raise CommandError(f"--score-maps: {exc}") from exc
                if not isinstance(given, dict):
                    raise CommandError("--score-maps: expected an object of fields.")
                confirmed = {"score_maps": {str(k).lower(): v for k, v in given.items()}}
            report = run_import(
                workshop=workshop, actor=actor, fmt=fmt, data=data, dry_run=options["dry_run"],
                options=confirmed,
            )  # fmt: skip
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=1, default=str))
        else:
            for error in report.errors:
                self.stdout.write(f"error  {error['line']}: {error['message']}")
            for warning in report.warnings:
                self.stdout.write(f"warn   {warning['line']}: {warning['message']}")
            for m in report.mappings:
                table = ", ".join(f"{k}→{v}" for k, v in m["table"])
                state = "as it is" if m["identity"] else table
                if not m["confirmed"]:
                    state += " (proposed: confirm with --score-maps)"
                self.stdout.write(f"scores {m['field']} → {m['question']}: {state}")
            for change in report.changes:
                self.stdout.write(f"{change['action']:<18} {change['line']}: {change['object']}")
        if not report.ok:
            raise CommandError(f"{counted(len(report.errors), 'problem')}: nothing was changed.")
        verb = "Would make" if options["dry_run"] else "Made"
        self.stdout.write(self.style.SUCCESS(f"{verb} {counted(len(report.changes), 'change')}."))
