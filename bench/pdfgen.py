"""Distinct ~1 MB PDFs for the benchmarks, fast (no reportlab per file).

One base PDF is written by hand once: ``pages`` text pages and, on page 1, a grey-scale image
XObject of ``size`` random bytes (what makes a real paper heavy: its figures). Every paper is
the base with a unique 32-byte stamp written over the start of the image data: same length,
so the cross-reference offsets stay valid, and a distinct SHA-256 per paper.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from submissions.filechecks.sandbox import pdf_assemble  # noqa: E402 - after the path

_STAMP = b"S" * 32
_TEXT = (
    "We study open language models and propose a method that we evaluate carefully on "
    "several benchmarks. The results are reported with seeds, variance and significance."
)


def base_pdf(*, size: int = 1 << 20, pages: int = 6, seed: int = 15) -> bytes:
    """A valid PDF of about ``size`` bytes whose image data starts with ``_STAMP``."""
    rng = random.Random(seed)
    side = int(size**0.5)
    image = _STAMP + rng.randbytes(side * side - len(_STAMP))
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # pages, filled in below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length %d >>\nstream\n"
        % (side, side, len(image))
        + image
        + b"\nendstream",
    ]
    kids = []
    for number in range(1, pages + 1):
        lines = [f"Section {number}. {_TEXT}"[i : i + 90] for i in range(0, 180, 90)]
        body = "BT /F1 11 Tf 72 760 Td 14 TL " + " ".join(f"({line}) '" for line in lines)
        body += f" ET BT /F1 9 Tf 72 40 Td (Page {number}) Tj ET"
        if number == 1:
            body += " q 300 0 0 300 150 300 cm /Im0 Do Q"
        content = body.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        content_ref = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> /XObject << /Im0 4 0 R >> >> >>" % content_ref
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), pages)
    return pdf_assemble(objects, header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


def distinct_pdf(base: bytes, number: int) -> bytes:
    """``base`` with a stamp unique to ``number`` (same length as the base)."""
    stamp = f"paper-{number:026d}".encode()
    assert len(stamp) == len(_STAMP)
    return base.replace(_STAMP, stamp, 1)
