"""Distinct ~1 MB PDFs for the benchmarks, fast (no reportlab per file).

One base PDF is written by hand once: ``pages`` text pages and, on page 1, a grey-scale image
XObject of ``size`` random bytes (what makes a real paper heavy: its figures). Every paper is
the base with a unique 32-byte stamp written over the start of the image data: same length,
so the cross-reference offsets stay valid, and a distinct SHA-256 per paper.
"""

from __future__ import annotations

import random

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
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def distinct_pdf(base: bytes, number: int) -> bytes:
    """``base`` with a stamp unique to ``number`` (same length as the base)."""
    stamp = f"paper-{number:026d}".encode()
    assert len(stamp) == len(_STAMP)
    return base.replace(_STAMP, stamp, 1)
