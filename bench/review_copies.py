"""Benchmark of making reviewers' copies with canaries (`reviews.canary.stamp`): the work a
`review_copy_make_task` does per (reviewer, paper), without the database or storage.

Run ``.venv/bin/python bench/review_copies.py [--pages 8 30 100] [--copies 5]``.

For each page count it builds a text PDF (reportlab), then makes `--copies` copies of it
(a footer and a hidden instruction on every page, a token in the metadata) and reads the
fingerprint of one back (`traces_read`, what `manage.py copy_trace` does). One JSON line per
page count: input and copy sizes, seconds per copy and per trace. Figures only.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from reviews.canary import Marks, stamp, traces_read

LINE = "We evaluate the method on twelve benchmarks and report the mean over five seeds."


def paper(pages: int) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    for _ in range(pages):
        canvas.setFont("Times-Roman", 10)
        for row in range(60):
            canvas.drawString(72, 770 - 12 * row, LINE)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, nargs="+", default=[8, 30, 100])
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    for pages in args.pages:
        source = paper(pages)
        start = time.perf_counter()
        made = b""
        for n in range(args.copies):
            marks = Marks(
                footer=f"Review copy of #1 for Reviewer {chr(65 + n)}, BENCH 2027, confidential",
                phrase="quince lantern",
                token=f"{n:024x}",
            )
            made = stamp(source, marks)
        per_copy = (time.perf_counter() - start) / args.copies
        start = time.perf_counter()
        traces = traces_read(made)
        per_trace = time.perf_counter() - start
        assert traces.info_token == f"{args.copies - 1:024x}"
        print(json.dumps({
            "pages": pages, "source_kb": round(len(source) / 1024, 1),
            "copy_kb": round(len(made) / 1024, 1), "seconds_per_copy": round(per_copy, 3),
            "seconds_per_trace": round(per_trace, 3),
        }))  # fmt: skip


if __name__ == "__main__":
    main()
