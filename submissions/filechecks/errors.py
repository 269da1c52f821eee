"""Shared error type and small helpers for the upload-time file checks.

Everything here is pure Python (no Django) so the checks can run in a web request, a Celery
task or a sandboxed subprocess alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from typing import IO, Final

# Error codes (stable identifiers the web layer can map to form errors or translations).
EMPTY: Final = "empty"
TOO_LARGE: Final = "too_large"
NOT_PDF: Final = "not_pdf"
CORRUPT: Final = "corrupt"
ENCRYPTED: Final = "encrypted"
NO_PAGES: Final = "no_pages"
TOO_MANY_PAGES: Final = "too_many_pages"
JAVASCRIPT: Final = "javascript"
LAUNCH_ACTION: Final = "launch_action"
EMBEDDED_FILE: Final = "embedded_file"
AUTO_ACTION: Final = "auto_action"
NOT_ZIP: Final = "not_zip"
UNSUPPORTED_TYPE: Final = "unsupported_type"
PATH_TRAVERSAL: Final = "path_traversal"
ABSOLUTE_PATH: Final = "absolute_path"
SYMLINK: Final = "symlink"
TOO_MANY_MEMBERS: Final = "too_many_members"
ZIP_BOMB: Final = "zip_bomb"

DataSource = bytes | bytearray | memoryview | IO[bytes]


class FileCheckError(ValueError):
    """A file failed an upload check.

    ``code`` is a stable machine-readable identifier (one of the module constants above);
    ``message`` is a complete, human-readable sentence naming the problem, suitable for
    showing to the uploader as-is.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"FileCheckError({self.code!r}, {self.message!r})"


def format_mb(num_bytes: int | float) -> str:
    """Format a byte count in MB (2**20 bytes), e.g. ``"10 MB"`` or ``"12.35 MB"``.

    Sizes below 0.1 MB are shown in KB or bytes so small limits stay readable.
    """
    if num_bytes < 1024:
        return f"{int(num_bytes)} bytes"
    if num_bytes < 1024 * 1024 / 10:
        return f"{num_bytes / 1024:.1f}".rstrip("0").rstrip(".") + " KB"
    return f"{num_bytes / (1024 * 1024):.2f}".rstrip("0").rstrip(".") + " MB"


def sha256_of(data: DataSource) -> str:
    """Return the SHA-256 hex digest of ``data`` (bytes or a readable binary file).

    For file objects the stream is read in chunks and its position restored afterwards.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    start = _tell(data)
    _seek(data, 0)
    for chunk in iter(lambda: data.read(1024 * 1024), b""):
        digest.update(chunk)
    _seek(data, start or 0)
    return digest.hexdigest()


def read_limited(data: DataSource, max_bytes: int) -> bytes:
    """Return the content of ``data`` as bytes, refusing anything over ``max_bytes``.

    A file object is read from its start, at most ``max_bytes + 1`` bytes, so an oversized
    upload is never pulled fully into memory; its position is restored afterwards so the
    caller can still save it.  Raises ``FileCheckError`` (``too_large`` / ``empty``).
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        content = bytes(data)
        total: int | None = len(content)
    else:
        start = _tell(data)
        total = _declared_size(data)
        _seek(data, 0)
        content = data.read(max_bytes + 1) or b""
        if len(content) > max_bytes and total is None:
            total = _tell_end(data)
        _seek(data, start or 0)
        if not isinstance(content, bytes):
            raise TypeError("file object must be opened in binary mode")
    if total is not None and total > max_bytes:
        raise FileCheckError(TOO_LARGE, _too_large_message(total, max_bytes))
    if len(content) > max_bytes:
        raise FileCheckError(
            TOO_LARGE,
            f"The file is too large: it is over the limit of {format_mb(max_bytes)}.",
        )
    if not content:
        raise FileCheckError(EMPTY, "The file is empty (0 bytes).")
    return content


def _too_large_message(size: int, limit: int) -> str:
    shown, shown_limit = format_mb(size), format_mb(limit)
    if shown == shown_limit:  # e.g. 10.01 MB vs 10 MB: fall back to exact byte counts
        shown, shown_limit = f"{size:,} bytes", f"{limit:,} bytes"
    return f"The file is too large: it is {shown}, and the limit is {shown_limit}."


def _declared_size(data: IO[bytes]) -> int | None:
    size = getattr(data, "size", None)  # Django UploadedFile / File
    if isinstance(size, int):
        return size
    return _tell_end(data)


def _tell_end(data: IO[bytes]) -> int | None:
    start = _tell(data)
    try:
        end = data.seek(0, io.SEEK_END)
    except (AttributeError, OSError, ValueError):
        return None
    _seek(data, start or 0)
    return end


def _tell(data: IO[bytes]) -> int | None:
    try:
        return data.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _seek(data: IO[bytes], pos: int) -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):
        data.seek(pos)
