"""Publication lists from the files people download from the usual places.

Formats (`parse(data, fmt)`; `fmt="auto"` recognises them from the content):
- "bibtex": any BibTeX export (Google Scholar, DBLP, ACL Anthology, Zotero...), parsed with
  bibtexparser 2 (strings resolved, LaTeX decoded, authors split);
- "dblp": a DBLP person page as XML (dblp.org/pid/<pid>.xml) or BibTeX;
- "orcid": ORCID's works JSON (the public API's /works summaries, or /works/<codes> bulk);
- "openreview": an OpenReview export of notes (API 1 or 2: {"notes": [...]} or a list);
- "semantic_scholar": Semantic Scholar's author papers JSON (graph API
  /author/<id>/papers: {"data": [...]} or a list).

Nothing here writes: the result is a list of `ParsedPublication` (each with the line it
starts on) and a list of line-numbered errors. One error makes the whole import fail (the
service changes nothing), so that a half-read file never leaves a half-imported list.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import json.decoder
import json.scanner
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET
from xml.parsers import expat

import bibtexparser
from bibtexparser import middlewares
from bibtexparser import model as bibtex_model
from bibtexparser.exceptions import ParsingException

MAX_BYTES = 5 * 1024 * 1024
FORMATS = {
    "auto": "Recognise the format",
    "bibtex": "BibTeX",
    "dblp": "DBLP (XML or BibTeX)",
    "orcid": "ORCID works (JSON)",
    "openreview": "OpenReview profile export (JSON)",
    "semantic_scholar": "Semantic Scholar author papers (JSON)",
}
_DOI_IN_URL = re.compile(r"(?:doi\.org/|doi:\s*)(10\.\S+)", re.IGNORECASE)


@dataclass
class ParsedPublication:
    title: str
    line: int | None = None
    abstract: str = ""
    year: int | None = None
    venue: str = ""
    authors: list[str] = field(default_factory=list)
    url: str = ""
    doi: str = ""


@dataclass
class ParseResult:
    format: str
    publications: list[ParsedPublication] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(f"line {line}: {message}" if line else message)


class UnknownFormat(ValueError):
    pass


def _clean(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip()


def _year(value: Any) -> int | None:
    match = re.search(r"\b(1[89]\d\d|20\d\d)\b", str(value or ""))
    return int(match.group(1)) if match else None


def _doi(*values: Any) -> str:
    for value in values:
        text = _clean(value)
        if not text:
            continue
        found = _DOI_IN_URL.search(text)
        if found:
            return found.group(1).rstrip(".").lower()
        if text.lower().startswith("10."):
            return text.lower()
    return ""


def _url(value: Any) -> str:
    text = _clean(value)
    return text if re.match(r"https?://", text) and len(text) <= 500 else ""


def detect(data: str) -> str:
    head = data.lstrip("\ufeff \t\r\n")[:2000]
    if head.startswith("<"):
        return "dblp"
    if head.startswith(("{", "[")):
        if '"work-summary"' in data or '"bulk"' in data or '"put-code"' in data:
            return "orcid"
        if '"paperId"' in data or '"externalIds"' in data:
            return "semantic_scholar"
        if '"content"' in data or '"notes"' in data:
            return "openreview"
        raise UnknownFormat("This JSON file is not one of the known exports; choose its format.")
    if "@" in head:
        return "bibtex"
    raise UnknownFormat("The format could not be recognised; choose it from the list.")


def parse(data: str, fmt: str = "auto") -> ParseResult:
    """Read a publication list. Errors name the line (1-based) they were found on."""
    if fmt == "auto":
        try:
            fmt = detect(data)
        except UnknownFormat as exc:
            return ParseResult("auto", errors=[str(exc)])
    if fmt not in FORMATS:
        return ParseResult(fmt, errors=[f"Unknown format {fmt!r}."])
    if fmt == "dblp":
        reader = _dblp_xml if data.lstrip("\ufeff \t\r\n").startswith("<") else _bibtex
    else:
        reader = {
            "bibtex": _bibtex,
            "orcid": _orcid,
            "openreview": _openreview,
            "semantic_scholar": _semantic_scholar,
        }[fmt]
    result = ParseResult(fmt)
    try:
        reader(data, result)
    except RecursionError:
        # json and the XML tree recurse per level: a crafted file nests deeper than Python's
        # stack allows; no export of a publication list nests more than a few levels.
        return ParseResult(fmt, errors=["The file is nested too deeply to be a publication list."])
    if not result.publications and not result.errors:
        result.error(None, "The file holds no publications.")
    return result


# --- BibTeX -------------------------------------------------------------------------------


def _person(name: str) -> str:
    """ "Last, First" -> "First Last" (BibTeX order), braces out."""
    name = _clean(name.replace("{", "").replace("}", ""))
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}".strip()
    return name


_NEXT_BLOCK = re.compile(r"(?:Unexpected block start: |but found )`(@\w*)`")


def _bibtex_reason(block: bibtex_model.ParsingFailedBlock) -> str:
    """What is wrong with a block bibtexparser gave up on, in words a person can act on
    (its exceptions often have no message: their class name meant nothing to anyone)."""
    if isinstance(block, bibtex_model.DuplicateBlockKeyBlock):
        return f"the key “{block.key}” is used by an earlier entry too"
    if isinstance(block, bibtex_model.DuplicateFieldKeyBlock):
        return "a field appears twice in this entry"
    error = block.error
    reason = _clean(getattr(error, "abort_reason", "") or str(error))
    if not reason:
        return "this entry is not valid BibTeX"
    if reason.startswith("Unexpectedly reached end of file"):
        return 'the file ends inside this entry: a closing } or " is missing'
    found = _NEXT_BLOCK.search(reason)
    if found:
        return (
            f"the next entry ({found.group(1)}) starts before this one is closed: "
            'a closing } or " is missing'
        )
    if reason.startswith("Expected comma after entry key"):
        return "a comma is missing after the entry's key (@type{key, field = ...})"
    return reason.rstrip(".")[:160]


def _bibtex(data: str, result: ParseResult) -> None:
    try:
        library = bibtexparser.parse_string(
            data,
            append_middleware=[
                middlewares.LatexDecodingMiddleware(),
                middlewares.SeparateCoAuthors(),
            ],
        )
    except ParsingException as exc:
        reason = _clean(getattr(exc, "abort_reason", "") or str(exc))
        result.error(None, f"the file is not valid BibTeX ({reason or 'unreadable'})")
        return
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        first = (block.raw or "").strip().splitlines()[:1]
        result.error(
            line,
            f"this entry could not be read: {_bibtex_reason(block)}"
            + (f" (it starts “{first[0][:80]}”)" if first else ""),
        )
    for entry in library.entries:
        fields = {k.lower(): v.value for k, v in entry.fields_dict.items()}
        line = entry.start_line + 1
        title = _clean(fields.get("title", "")).replace("{", "").replace("}", "")
        if not title:
            result.error(line, f"entry “{entry.key}” has no title")
            continue
        authors = fields.get("author") or []
        if isinstance(authors, str):
            authors = [authors]
        result.publications.append(
            ParsedPublication(
                title=title[:500],
                line=line,
                abstract=_clean(fields.get("abstract", "")),
                year=_year(fields.get("year")),
                venue=_clean(
                    fields.get("booktitle") or fields.get("journal") or fields.get("publisher", "")
                )[:300],
                authors=[_person(a) for a in authors if _person(a)],
                url=_url(fields.get("url")) or _url(fields.get("ee")),
                doi=_doi(fields.get("doi"), fields.get("url"), fields.get("ee")),
            )
        )


# --- DBLP XML -----------------------------------------------------------------------------

DBLP_KINDS = {
    "article",
    "inproceedings",
    "proceedings",
    "book",
    "incollection",
    "phdthesis",
    "mastersthesis",
    "www",
    "data",
}


def _xml(data: str) -> ET.Element:
    """Parse XML keeping each element's line (attribute "_line"); no entity declarations."""
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        element = builder.start(tag, attrs)
        element.set("_line", str(parser.CurrentLineNumber))

    def refuse(*args: Any) -> None:
        raise ValueError("entity declarations are not accepted")

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = refuse
    parser.Parse(data, True)
    return builder.close()


def _dblp_xml(data: str, result: ParseResult) -> None:
    try:
        root = _xml(data.lstrip("\ufeff"))
    except expat.ExpatError as exc:
        result.error(exc.lineno, f"the XML is broken ({expat.ErrorString(exc.code)})")
        return
    except ValueError as exc:
        result.error(None, str(exc))
        return
    if root.tag not in ("dblpperson", "dblp", "result"):
        result.error(1, f"expected a DBLP person file (<dblpperson>), found <{root.tag}>")
        return
    for record in root.iter():
        if record.tag not in DBLP_KINDS or record.tag == "www":
            continue
        line = int(record.get("_line", "0")) or None
        title_el = record.find("title")
        title = _clean("".join(title_el.itertext())) if title_el is not None else ""
        if not title:
            result.error(line, f'<{record.tag} key="{record.get("key", "")}"> has no title')
            continue
        ees = [_clean(e.text) for e in record.findall("ee")]
        venue = record.findtext("booktitle") or record.findtext("journal") or ""
        result.publications.append(
            ParsedPublication(
                title=title.rstrip(".")[:500],
                line=line,
                year=_year(record.findtext("year")),
                venue=_clean(venue)[:300],
                authors=[_clean("".join(a.itertext())) for a in record.findall("author")],
                url=next((u for u in (_url(e) for e in ees) if u), ""),
                doi=_doi(*ees),
            )
        )


# --- JSON exports -------------------------------------------------------------------------


def _json(data: str, result: ParseResult) -> Any:
    """json.loads, but every object gets a "__line__" key: the line it starts on."""
    newlines = [i for i, c in enumerate(data) if c == "\n"]

    class Decoder(json.JSONDecoder):
        def __init__(self) -> None:
            super().__init__()

            def parse_object(s_and_end, *args, **kwargs):  # type: ignore[no-untyped-def]
                start = s_and_end[1]
                obj, end = json.decoder.JSONObject(s_and_end, *args, **kwargs)
                obj["__line__"] = bisect.bisect_left(newlines, start) + 1
                return obj, end

            self.parse_object = parse_object
            self.scan_once = json.scanner.py_make_scanner(self)

    try:
        return json.loads(data.lstrip("\ufeff"), cls=Decoder)
    except json.JSONDecodeError as exc:
        result.error(exc.lineno, f"the JSON is broken ({exc.msg}, column {exc.colno})")
        return None


def _value(obj: Any) -> Any:
    """ORCID and OpenReview API 2 wrap values as {"value": ...}."""
    if isinstance(obj, dict) and "value" in obj:
        return obj["value"]
    return obj


def _add(result: ParseResult, line: int | None, where: str, **fields: Any) -> None:
    title = _clean(fields.pop("title", ""))
    if not title:
        result.error(line, f"{where} has no title")
        return
    result.publications.append(ParsedPublication(title=title[:500], line=line, **fields))


def _orcid(data: str, result: ParseResult) -> None:
    raw = _json(data, result)
    if raw is None:
        return
    works: list[dict] = []
    if isinstance(raw, dict) and isinstance(raw.get("group"), list):
        for group in raw["group"]:  # one group = one work known under several sources
            summaries = group.get("work-summary") if isinstance(group, dict) else None
            if summaries:
                works.append(summaries[0])
    elif isinstance(raw, dict) and isinstance(raw.get("bulk"), list):
        works = [b.get("work") for b in raw["bulk"] if isinstance(b, dict) and b.get("work")]
    elif isinstance(raw, list):
        works = [w for w in raw if isinstance(w, dict)]
    else:
        result.error(1, 'expected ORCID works JSON: an object with "group" or "bulk"')
        return
    for work in works:
        line = work.get("__line__")
        title_obj = work.get("title") or {}
        ids = ((work.get("external-ids") or {}).get("external-id")) or []
        doi = next(
            (
                _value(i.get("external-id-value"))
                for i in ids
                if isinstance(i, dict) and i.get("external-id-type") == "doi"
            ),
            "",
        )
        contributors = ((work.get("contributors") or {}).get("contributor")) or []
        date = work.get("publication-date") or {}
        _add(
            result,
            line,
            "a work",
            title=_value(title_obj.get("title")) if isinstance(title_obj, dict) else title_obj,
            abstract=_clean(work.get("short-description")),
            year=_year(_value(date.get("year")) if isinstance(date, dict) else None),
            venue=_clean(_value(work.get("journal-title")))[:300],
            authors=[
                _clean(_value(c.get("credit-name")))
                for c in contributors
                if isinstance(c, dict) and c.get("credit-name")
            ],
            url=_url(_value(work.get("url"))),
            doi=_doi(doi),
        )


def _openreview(data: str, result: ParseResult) -> None:
    raw = _json(data, result)
    if raw is None:
        return
    notes = raw.get("notes") if isinstance(raw, dict) else raw
    if not isinstance(notes, list):
        result.error(1, 'expected an OpenReview export: {"notes": [...]} or a list of notes')
        return
    for note in notes:
        if not isinstance(note, dict):
            continue
        content = note.get("content") or {}
        line = note.get("__line__")
        stamp = note.get("pdate") or note.get("cdate") or note.get("tcdate")
        year = _year(_value(content.get("year")))
        if year is None and isinstance(stamp, int | float):
            year = dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC).year
        authors = _value(content.get("authors")) or []
        forum = note.get("forum") or note.get("id")
        _add(
            result,
            line,
            "a note",
            title=_value(content.get("title")),
            abstract=_clean(_value(content.get("abstract"))),
            year=year,
            venue=_clean(_value(content.get("venue")))[:300],
            authors=[_clean(a) for a in authors if isinstance(a, str)],
            url=f"https://openreview.net/forum?id={forum}" if isinstance(forum, str) else "",
            doi=_doi(_value(content.get("doi"))),
        )


def _semantic_scholar(data: str, result: ParseResult) -> None:
    raw = _json(data, result)
    if raw is None:
        return
    papers = raw.get("data") if isinstance(raw, dict) else raw
    if not isinstance(papers, list):
        result.error(1, 'expected Semantic Scholar author papers: {"data": [...]} or a list')
        return
    for paper in papers:
        if not isinstance(paper, dict):
            continue
        paper = paper.get("paper", paper) if isinstance(paper.get("paper"), dict) else paper
        ids = paper.get("externalIds") or {}
        _add(
            result,
            paper.get("__line__"),
            "a paper",
            title=paper.get("title"),
            abstract=_clean(paper.get("abstract")),
            year=_year(paper.get("year")),
            venue=_clean(paper.get("venue"))[:300],
            authors=[
                _clean(a.get("name"))
                for a in paper.get("authors") or []
                if isinstance(a, dict) and a.get("name")
            ],
            url=_url(paper.get("url")),
            doi=_doi(ids.get("DOI") if isinstance(ids, dict) else ""),
        )


def decode(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) or (None, a line-numbered error) for an uploaded file."""
    if len(data) > MAX_BYTES:
        return None, f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, f"line {line}: the file is not UTF-8 text (byte {exc.start})"
