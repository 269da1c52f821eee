"""Size limits for uploaded import files and safe reading of zip archives."""

from __future__ import annotations

import zipfile
import zlib
from io import BytesIO
from pathlib import PurePosixPath

from django.conf import settings

from .report import Report

MAX_RATIO = 200  # a member that expands more than this is treated as a zip bomb


def max_upload_bytes() -> int:
    return int(getattr(settings, "TRANSFER_MAX_UPLOAD_MB", 200)) * 1024 * 1024


def max_unpacked_bytes() -> int:
    return int(getattr(settings, "TRANSFER_MAX_UNPACKED_MB", 2048)) * 1024 * 1024


def check_size(data: bytes, report: Report) -> bool:
    limit = max_upload_bytes()
    if len(data) > limit:
        report.error(0, f"The file is {len(data):,} bytes, over the import limit of {limit:,}.")
        return False
    return True


def safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name)
        and "\\" not in name
        and not path.is_absolute()
        and ".." not in path.parts
        and ":" not in path.parts[0]
    )


def open_zip(data: bytes, report: Report) -> zipfile.ZipFile | None:
    """The archive, or None with errors in `report`: not a zip, a path that leaves the
    archive (`..`, absolute), or sizes that add up to a zip bomb (declared uncompressed
    sizes are checked before anything is read, and reads are capped to them)."""
    if not check_size(data, report):
        return None
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile:
        report.error(0, "Not a zip archive.")
        return None
    total = 0
    for info in archive.infolist():
        if not safe_name(info.filename):
            report.error(info.filename, "A path that leaves the archive is refused.")
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            report.error(info.filename, "Compressed too well to be genuine (zip bomb).")
    if total > max_unpacked_bytes():
        report.error(0, f"The archive unpacks to {total:,} bytes, over the limit.")
    return None if report.errors else archive


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """Read one member, never more than its declared size (a lying header stops there)."""
    info = archive.getinfo(name)
    try:
        with archive.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        # A lying CRC-32 or a broken stream: say which member, never "Internal error".
        raise ValueError(f"{name} is damaged in the zip ({exc})") from exc
    if len(data) > info.file_size:
        raise ValueError(f"{name}: larger than declared")
    return data
