"""`manage.py copy_trace FILE`: which reviewer's copy of which paper a PDF found elsewhere is."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from pypdf.errors import PdfReadError

from reviews.services.copies import copy_trace

HELP = """Name the reviewer (and paper and workshop) whose review copy a PDF is.

Looks, in this order, for the token in the PDF's information dictionary, for the copy's
reference token ("RC-...") in its text layer, for a copy's canary phrase in its text layer
(phrases are unique within a paper, so a phrase alone may name copies of several papers:
all are listed), and for the visible footer's text ("Review copy of #N for Reviewer X,
WORKSHOP, confidential").

What survives re-saving: a copy saved again by a PDF viewer keeps everything. A PDF
printer ("Print to PDF") writes a new file: the information dictionary is not carried over,
and printers differ on the invisible text: those that copy the text layer as it is
(Ghostscript's pdfwrite, for one) keep the reference token and the phrase; those that
redraw only what is painted drop it, but keep the visible footer as text, which is enough
here. A copy printed as images, scanned or photographed has no text layer: the footer is
still on every page for a person to read (paper number, pseudonym, workshop). Text copied
out of the PDF keeps the phrase if the instruction was copied with it. Tested with
Ghostscript's pdfwrite (default and /printer settings): the metadata is lost and the copy
is still traced by its text layer; the tests also strip the metadata and redraw only the
painted text, as other printers do."""


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
