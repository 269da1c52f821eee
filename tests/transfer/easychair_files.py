"""The real EasyChair export (tests/data/transfer/real/easychair) as the importer reads it:
its CSV files, some of them replaced, zipped as EasyChair zips them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

REAL = Path(__file__).resolve().parent.parent / "data" / "transfer" / "real" / "easychair"


def files(**replace: bytes) -> dict[str, bytes]:
    found = {p.name: p.read_bytes() for p in sorted(REAL.glob("*.csv"))}
    found.update(replace)
    return found


def zipped(members: dict[str, bytes], folder: str = "conference-data/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(folder + name, content)
    return buffer.getvalue()
