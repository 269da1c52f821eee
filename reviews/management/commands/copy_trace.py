"""`manage.py copy_trace FILE`: which reviewer's copy of which paper a PDF found elsewhere is."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from pypdf.errors import PdfReadError

from reviews.services.copies import copy_trace

HELP = """Name the reviewer (and paper and workshop) whose review copy a PDF is.

Looks, in this order, for the token in the PDF's information dictionary, for the copy's
reference token ("RC-...") in its text layer, and for a copy's canary phrase in its text
layer (phrases are unique within a paper, so a phrase alone may name copies of several
papers: all are listed).

What survives re-saving: a copy saved again by a PDF viewer keeps everything. A PDF
printer ("Print to PDF") writes a new file: the information dictionary is not carried over,
but printers that keep text (Ghostscript's pdfwrite, macOS's, most browsers') usually keep
the invisible text layer with the reference token and the phrase, which is enough. A copy
printed as images, scanned or photographed keeps only the visible footer, which names the
paper's number, the reviewer's pseudonym and the workshop: read it and look the pseudonym
up on the paper. Text copied out of the PDF keeps the phrase if the instruction was copied
with it."""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(*args, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("file", help="The PDF found elsewhere.")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from None
        if not data.lstrip()[:5].startswith(b"%PDF-"):
            raise CommandError(f"{path} is not a PDF (it does not start with %PDF-).")
        try:
            found, traces = copy_trace(data)
        except (PdfReadError, ValueError) as exc:
            raise CommandError(f"{path} could not be read as a PDF: {exc}") from None
        if not found:
            said = "a text layer" if traces.text.strip() else "no text layer (images only?)"
            self.stdout.write(
                f"No review copy found in {path}: no token in its metadata, and {said} "
                "without a copy's reference or phrase. If it shows a footer 'Review copy of "
                "#N for Reviewer X, WORKSHOP', that names the paper and the pseudonym."
            )
            return
        for trace in found:
            copy = trace.copy
            assignment = copy.assignment
            reviewer = assignment.reviewer
            submission = assignment.submission
            self.stdout.write(
                f"{assignment.display_name} of #{submission.number} "
                f"({submission.workshop.short_name}, {submission.workshop.slug}): "
                f"{reviewer.name} <{reviewer.email}>; found by the {trace.by} "
                f"(phrase “{copy.phrase}”, token {copy.token})."
            )
