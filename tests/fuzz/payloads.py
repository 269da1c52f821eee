"""Hostile values for form fields, by the kind of value a field expects.

A fixed list (not random generation): every value is one a real attack or a careless client
has sent to some web form. The fuzzer draws from the lists with a seeded random generator.
"""

from __future__ import annotations

import random
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from .forms import Field

MISSING = object()  # leave the field out of the request

TEXT = [
    "",
    " ",
    "A" * 100_000,
    "one line\r\nanother: header",
    "carriage\rreturn",
    "nul\x00byte",
    "\u202eRTL override\u202c and \u200f marks",
    "emoji 😀🧪👩‍👩‍👧 and astral 𝕏",
    "e\u0301\u0308\u0327" * 20,
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "' OR '1'='1' -- ; DROP TABLE x",
    "{{ 7|add:7 }} {% now 'Y' %} %s %(name)s {0}",
    '=HYPERLINK("http://evil.example")',
    "../../../../etc/passwd",
    "\t\x0b\x0c\x1b[31m control",
]
NUMBERS = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "-0",
    "0",
    "-1",
    "1.5",
    "0.0000000000000000000001",
    "99999999999999999999999999999",
    str(2**63),
    str(-(2**63) - 1),
    "0x1F",
    "١٢٣",
    " 7 ",
    "1_000",
    "1e5",
]
IDS = [
    "0",
    "-1",
    str(2**31),
    str(2**63),
    str(2**64 + 1),
    "9" * 40,
    "abc",
    "1.5",
    "nan",
    "1e999",
    "1 OR 1=1",
]
DATES = [
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-10-25T02:30",  # twice in Europe/Vienna (the end of summer time)
    "2026-03-29T02:30",  # never in Europe/Vienna (the start of summer time)
    "2026-01-01T25:61",
    "1970-01-01T00:00:00+99:00",
    "yesterday",
    "1e999",
]
TIMES = ["25:00", "23:60", "-1:00", "12:00:00.9999999999", "noon"]
EMAILS = [
    "a@b",
    "x" * 300 + "@example.org",
    "a@example.org\r\nBcc: victim@example.org",
    "@",
    "a@[127.0.0.1]",
    '"quoted@"@example.org',
    "ünïcödé@exämple.org",
]
URLS = [
    "javascript:alert(1)",
    "http://[::1",
    "http://" + "a" * 5000 + ".example",
    "file:///etc/passwd",
    "http://example.org/\r\nX-Injected: y",
    "//evil.example",
]
CHOICES = ["definitely-not-a-choice", "0", "-1", "__all__"]
NUMERIC_NAMES = re.compile(
    r"(^|_)(score|weight|year|order|minutes|max|min|count|limit|quota|load|size|pages|"
    r"position|grace|per|top|k|threshold|confidence|expertise|level|number|days)(_|$)"
)
ID_NAMES = re.compile(r"(^|_)(id|pk|ids|pks|user|submission|paper|reviewer|session|speaker)$")
DATE_NAMES = re.compile(r"(date|deadline|_at$|opens|closes|starts|ends|_on$|when)")


def field_kind(f: Field) -> str:
    """What the field holds: file, id, number, date, time, email, url, choice, bool, text."""
    name = f.name.lower().rsplit("-", 1)[-1]
    if f.kind == "file":
        return "file"
    if f.kind in ("number", "range"):
        return "number"
    if f.kind in ("date", "datetime-local", "datetime", "month", "week"):
        return "date"
    if f.kind == "time":
        return "time"
    if f.kind in ("email", "url"):
        return f.kind
    options = [o for o in f.options if o]
    if options and all(o.lstrip("-").isdigit() for o in options):
        return "id"
    if f.kind in ("select", "radio") or (f.kind == "checkbox" and len(options) > 1):
        return "choice"
    if f.kind == "checkbox":
        return "bool"
    values = [v for v in f.values if v]
    if ID_NAMES.search(name) or (f.kind == "hidden" and values and values[0].isdigit()):
        return "id"
    if NUMERIC_NAMES.search(name) or (values and _is_number(values[0])):
        return "number"
    if DATE_NAMES.search(name) or (values and re.match(r"\d{4}-\d\d-\d\d", values[0])):
        return "date"
    if "email" in name:
        return "email"
    if name.endswith("url") or name in ("website", "homepage", "link"):
        return "url"
    return "text"


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def pool(f: Field, kind: str, foreign_ids: list[int]) -> list[object]:
    """Every hostile value for the field: strings, lists of strings, MISSING, or files."""
    if kind == "file":
        return files()
    special = {
        "number": NUMBERS,
        "id": IDS + [str(pk) for pk in foreign_ids],
        "date": DATES,
        "time": TIMES,
        "email": EMAILS,
        "url": URLS,
        "choice": CHOICES + [o + "x" for o in f.options[:1]],
        "bool": ["2", "off", "true\x00"],
        "text": [],
    }[kind]
    first = f.values[0] if f.values else (f.options[0] if f.options else "1")
    lists: list[object] = [[first, "definitely-not-a-choice"], [first, first]]
    if kind == "id" and foreign_ids:
        lists.append([first, str(foreign_ids[0])])
    return [*special, *TEXT, MISSING, *lists]


def files() -> list[object]:
    """Upload variants (zip bombs and hostile PDFs are covered by the upload tests)."""
    return [
        ("empty.pdf", b"", "application/pdf"),
        ("not-a-pdf.pdf", b"hello, I am plain text\n", "application/pdf"),
        ("image.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        ("a" * 1000 + ".pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        ("../../etc/passwd", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        ("nul\x00name.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        ("rtl\u202efdp.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("truncated.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", "application/pdf"),
        MISSING,
    ]


def upload(spec: object) -> object:
    """A fresh upload object per request (the test client reads a file to its end)."""
    if isinstance(spec, tuple):
        name, content, content_type = spec
        return SimpleUploadedFile(name, content, content_type=content_type)
    return spec


def describe(value: object) -> str:
    """A short, printable description of a payload value for the report."""
    if value is MISSING:
        return "<missing>"
    if isinstance(value, tuple):
        return f"<file {value[0][:40]!r} {len(value[1])} bytes>"
    if isinstance(value, list):
        return "[" + ", ".join(describe(v) for v in value) + "]"
    text = str(value)
    if len(text) > 60:
        return f"{text[:30]!r}...({len(text)} chars)"
    return repr(text)


def draw(rng: random.Random, values: list[object], n: int) -> list[object]:
    """n values from the pool (all of it when n reaches its size), in a seeded order."""
    if n >= len(values):
        return list(values)
    return rng.sample(values, n)
