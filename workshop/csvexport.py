"""CSV that spreadsheets cannot turn into formulas: every CSV the project writes (downloads,
the proceedings bundle's papers.csv) goes through `csv_write`, and `tests/test_csv_neutralised.py`
fails for a module that builds a csv writer of its own."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell starting with a formula character gets a leading apostrophe (OWASP advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_write(stream: Any, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a header and rows to `stream` (anything with `write`), every cell neutralised."""
    writer = csv.writer(stream)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    csv_write(response, header, rows)
    return response
