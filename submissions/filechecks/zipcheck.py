"""Upload-time checks for supplementary material (a ZIP archive or a PDF).

``check_zip`` refuses archives that would be dangerous to extract or to store: member paths
with ``..`` components or absolute paths (``/x``, ``C:\\x``), symlinks, encrypted members,
too many members, and zip bombs.  For bombs it does not trust the sizes declared in the
central directory: it checks the declared total and per-member compression ratios first
(cheap), then actually stream-decompresses every member with a global byte budget, which
also verifies the CRCs.  Before ``zipfile`` parses the central directory, the end-of-central-
directory record is read directly so that an archive claiming millions of entries is refused
without building millions of ``ZipInfo`` objects.

``check_supplementary`` dispatches on magic bytes (never on the file name).
"""

from __future__ import annotations

import io
import re
import stat
import struct
import zipfile
from dataclasses import dataclass

from . import errors as e
from .errors import DataSource, FileCheckError, format_mb, read_limited, sha256_of
from .pdf import PDF_MAGIC, PdfInfo, check_pdf

__all__ = ["ArchiveInfo", "check_supplementary", "check_zip"]

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # first local header / empty archive
DEFAULT_MAX_UNCOMPRESSED = 1024 * 1024 * 1024  # 1 GiB
DEFAULT_MAX_RATIO = 200.0
RATIO_MIN_SIZE = 1024 * 1024  # only judge compression ratios of members over 1 MiB
_CHUNK = 256 * 1024
_MAX_ENTRY_BYTES = 4096  # generous central-directory bytes per member (46 + name + extra)
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class ArchiveInfo:
    """Facts about an accepted ZIP archive."""

    member_count: int
    size: int  # compressed bytes (the upload)
    uncompressed_size: int  # bytes actually decompressed
    sha256: str
    kind: str = "zip"


def check_zip(
    data: DataSource,
    *,
    max_bytes: int,
    max_members: int = 1000,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> ArchiveInfo:
    """Check a supplementary ZIP archive and return its ``ArchiveInfo``.

    Raises ``FileCheckError`` whose message names the offending member, if any.
    """
    content = read_limited(data, max_bytes)
    if not content.startswith(ZIP_MAGICS):
        raise FileCheckError(e.NOT_ZIP, "The file is not a ZIP archive (no ZIP signature).")
    declared, cd_size = _declared_directory(content)
    if declared > max_members:
        raise _too_many(declared, max_members)
    if cd_size > max_members * _MAX_ENTRY_BYTES:
        raise FileCheckError(
            e.TOO_MANY_MEMBERS,
            f"The ZIP archive's file list is implausibly large ({format_mb(cd_size)}) for at "
            f"most {max_members} files.",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            if len(infos) > max_members:
                raise _too_many(len(infos), max_members)
            if not infos:
                raise FileCheckError(e.EMPTY, "The ZIP archive is empty (it contains no files).")
            for info in infos:
                _check_member(info, max_ratio)
            _check_declared_total(infos, max_uncompressed)
            total = _decompress_all(archive, infos, max_uncompressed)
    except FileCheckError:
        raise
    except Exception as exc:  # zipfile/zlib raise many exception types on bad input
        raise FileCheckError(
            e.CORRUPT,
            "The ZIP archive cannot be read; it seems to be damaged "
            f"({type(exc).__name__}: {str(exc)[:150]}).",
        ) from exc
    return ArchiveInfo(
        member_count=len(infos),
        size=len(content),
        uncompressed_size=total,
        sha256=sha256_of(content),
    )


def check_supplementary(
    data: DataSource,
    filename_hint: str = "",
    *,
    max_bytes: int,
    max_pages: int | None = None,
    max_members: int = 1000,
    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED,
) -> PdfInfo | ArchiveInfo:
    """Check supplementary material, which may be a PDF or a ZIP archive.

    The type is decided by the file's magic bytes; ``filename_hint`` is only used to make
    the error message friendlier and is never trusted.
    """
    content = read_limited(data, max_bytes)
    if content.startswith(PDF_MAGIC):
        return check_pdf(content, max_bytes=max_bytes, max_pages=max_pages)
    if content.startswith(ZIP_MAGICS):
        return check_zip(
            content, max_bytes=max_bytes, max_members=max_members, max_uncompressed=max_uncompressed
        )
    named = f" '{filename_hint}'" if filename_hint else ""
    raise FileCheckError(
        e.UNSUPPORTED_TYPE,
        f"The supplementary file{named} is neither a PDF nor a ZIP archive (judged by its "
        "content, not its name). Please upload a PDF or a ZIP file.",
    )


def _too_many(count: int, limit: int) -> FileCheckError:
    return FileCheckError(
        e.TOO_MANY_MEMBERS,
        f"The ZIP archive has too many files: it has {count}, and the limit is {limit}.",
    )


def _declared_directory(content: bytes) -> tuple[int, int]:
    """(entry count, central directory size) from the end record, ZIP64-aware.

    Returns (0, 0) when no end record is found; ``zipfile`` then reports the damage.
    """
    pos = content.rfind(b"PK\x05\x06", max(0, len(content) - 22 - 65535))
    if pos < 0 or pos + 22 > len(content):
        return 0, 0
    count, cd_size = struct.unpack_from("<HI", content, pos + 10)
    locator = pos - 20
    if locator >= 0 and content[locator : locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", content, locator + 8)
        if offset + 56 <= len(content) and content[offset : offset + 4] == b"PK\x06\x06":
            count, cd_size = struct.unpack_from("<QQ", content, offset + 32)
    return count, cd_size


def _check_member(info: zipfile.ZipInfo, max_ratio: float) -> None:
    name = info.filename
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        raise FileCheckError(
            e.ABSOLUTE_PATH,
            f"The ZIP archive contains a file with an absolute path: '{name}'. "
            "Use relative paths only.",
        )
    if ".." in path.split("/"):
        raise FileCheckError(
            e.PATH_TRAVERSAL,
            f"The ZIP archive contains a file whose path escapes the archive ('..'): '{name}'.",
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise FileCheckError(
            e.SYMLINK,
            f"The ZIP archive contains a symbolic link: '{name}'. Symlinks are not allowed.",
        )
    if info.flag_bits & 0x41:  # bit 0: encrypted, bit 6: strong encryption
        raise FileCheckError(
            e.ENCRYPTED,
            f"The ZIP archive contains an encrypted (password-protected) file: '{name}'.",
        )
    if info.file_size > RATIO_MIN_SIZE and info.file_size > max_ratio * max(info.compress_size, 1):
        raise FileCheckError(
            e.ZIP_BOMB,
            f"The ZIP archive looks like a zip bomb: '{name}' expands from "
            f"{format_mb(info.compress_size)} to {format_mb(info.file_size)} "
            f"(more than {max_ratio:g} times).",
        )


def _check_declared_total(infos: list[zipfile.ZipInfo], limit: int) -> None:
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise FileCheckError(
            e.ZIP_BOMB,
            f"The ZIP archive is too large when unpacked: its files total {format_mb(total)}, "
            f"and the limit is {format_mb(limit)}.",
        )
    offsets = [info.header_offset for info in infos]
    if len(set(offsets)) != len(offsets):  # overlapping entries: a classic bomb technique
        raise FileCheckError(
            e.ZIP_BOMB, "The ZIP archive looks like a zip bomb: several entries share data."
        )


def _decompress_all(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limit: int) -> int:
    """Decompress every member with a global byte budget; return the bytes produced."""
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise FileCheckError(
                        e.ZIP_BOMB,
                        f"The ZIP archive is too large when unpacked: it expands to more than "
                        f"{format_mb(limit)} (while reading '{info.filename}').",
                    )
    return total
