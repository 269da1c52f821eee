"""App code reaches stored files only through the storage API (issue 29, part 4): a
FieldFile's or a storage's `.path`, `storage.location`, `MEDIA_ROOT` and `FileSystemStorage`
exist only on the local disk and fail with S3Storage. This reads every app module and fails
on a new use; a use that is really about something else goes in ALLOWED with its reason."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ["workshop", "submissions", "reviews", "programme", "transfer", "api"]

# `.path` of a file field, a stored file or a storage, and the disk-only names.
PATTERNS = {
    "a stored file's .path": re.compile(
        r"\b(file|upload|result|material|photo|reviewer_copy|storage|default_storage|"
        r"field_file|fieldfile|stored|source|copy|bundle)\.path\b"
    ),
    "a storage's location": re.compile(r"\bstorage\.(location|base_location)\b"),
    "MEDIA_ROOT": re.compile(r"\bMEDIA_ROOT\b"),
    "FileSystemStorage": re.compile(r"\bFileSystemStorage\b"),
    "open() on a stored name": re.compile(r"(?<![.\w])open\([^)]*\.(name|path)\b"),
}

# (file, what): uses that do not touch stored files.
ALLOWED = {
    ("workshop/settings.py", "MEDIA_ROOT"),  # where the local-disk storage keeps files
    ("workshop/settings.py", "FileSystemStorage"),  # the default without a bucket
}


def _app_files() -> list[Path]:
    files: list[Path] = []
    for app in APPS:
        files += [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    return files


def local_path_uses(text: str) -> list[tuple[int, str]]:
    """(line, what) of each disk-only use in `text`, comments left out."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        found += [(number, what) for what, rx in PATTERNS.items() if rx.search(code)]
    return found


def test_the_guard_catches_each_kind_of_use():
    uses = local_path_uses(
        "a = stored.file.path\n"
        "b = default_storage.path(name)\n"
        "c = settings.MEDIA_ROOT / 'x'\n"
        "d = FileSystemStorage()\n"
        "with open(value.file.name) as fh: pass\n"
        "e = request.path  # a URL path, not a file\n"
        "f = stored.file.open('rb')\n"
    )
    assert [what for _, what in uses] == [
        "a stored file's .path",
        "a stored file's .path",
        "MEDIA_ROOT",
        "FileSystemStorage",
        "open() on a stored name",
    ]


def test_no_app_code_assumes_files_on_the_local_disk():
    offenders = []
    for path in _app_files():
        rel = path.relative_to(ROOT).as_posix()
        for number, what in local_path_uses(path.read_text(encoding="utf-8")):
            if (rel, what) not in ALLOWED:
                offenders.append(f"{rel}:{number}: {what}")
    assert not offenders, (
        "Stored files go through the storage API (storage.open(), or a temporary local copy "
        "made from it), never a filesystem path:\n" + "\n".join(offenders)
    )
