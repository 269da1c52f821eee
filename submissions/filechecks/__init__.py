"""File checks for paper submissions (pure Python, no Django).

Upload time (fast, in the request):
    check_pdf(data, *, max_bytes, max_pages) -> PdfInfo
    check_zip(data, *, max_bytes, max_members=1000, max_uncompressed=1 GiB) -> ArchiveInfo
    check_supplementary(data, filename_hint, *, max_bytes, ...) -> PdfInfo | ArchiveInfo
    sha256_of(data) -> str
Failures raise FileCheckError(code, message); ``message`` is ready to show to the user.

Later, in a background task (a fresh sandboxed process per file, forked from a warm
zygote: ``pool.py``; never raises):
    run_deep_check(pdf_bytes, *, identities, cpu_seconds=30, memory_mb=512, timeout=60)
        -> DeepReport
"""

from .deep import DeepReport, analyse_pdf, run_deep_check
from .errors import FileCheckError, format_mb, sha256_of
from .pdf import PdfInfo, check_pdf
from .zipcheck import ArchiveInfo, check_supplementary, check_zip

__all__ = [
    "ArchiveInfo",
    "DeepReport",
    "FileCheckError",
    "PdfInfo",
    "analyse_pdf",
    "check_pdf",
    "check_supplementary",
    "check_zip",
    "format_mb",
    "run_deep_check",
    "sha256_of",
]
