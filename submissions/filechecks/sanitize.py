"""Produce the reviewer copy: the same PDF with identifying metadata removed.

Removed:
* the document information dictionary (/Info: Title, Author, Subject, Keywords, Creator,
  Producer, dates and custom keys) — the title is dropped too because authors often put
  their name there, and pypdf's own /Producer is not added;
* every XMP metadata stream (/Metadata on the catalog, pages, images, fonts, ...);
* /PieceInfo (application private data, e.g. Illustrator/Acrobat editing state);
* pdfTeX's /PTEX.InfoDict (the /Info of each included PDF figure) and /PTEX.FileName (the
  figure's path, which often contains a user name);
* the author field /T of non-widget annotations (review comments carry their author).

How: the keys are deleted from the *reader's* (cached) objects, then a fresh writer clones
only what is reachable from the catalog.  Objects that were referenced solely by removed
keys (the old Info dictionary, XMP streams, incremental-update history) are thus never
written, so the metadata strings do not survive anywhere in the output bytes.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from ._walk import walk

STRIP_KEYS = ("/Metadata", "/PieceInfo", "/PTEX.InfoDict", "/PTEX.FileName")
MAX_NODES = 5_000_000
MARKUP_SUBTYPES = frozenset(
    {
        "/Text",
        "/FreeText",
        "/Line",
        "/Square",
        "/Circle",
        "/Polygon",
        "/PolyLine",
        "/Highlight",
        "/Underline",
        "/Squiggly",
        "/StrikeOut",
        "/Stamp",
        "/Caret",
        "/Ink",
        "/FileAttachment",
        "/Sound",
        "/Redact",
        "/Popup",
    }
)

logging.getLogger("pypdf").setLevel(logging.ERROR)


def reviewer_copy(pdf_bytes: bytes) -> tuple[bytes, int, list[str]]:
    """Return ``(stripped_pdf, page_count, removed)``; ``removed`` lists what was found.

    Raises on unreadable or encrypted input (the caller reports the error).
    """
    reader = PdfReader(io.BytesIO(pdf_bytes), strict=False)
    if reader.is_encrypted:
        raise ValueError("the PDF is encrypted")
    removed: dict[str, None] = {}
    if reader.trailer.get("/Info") is not None:
        removed["document information dictionary"] = None
    root = reader.trailer["/Root"]
    for visit in walk([(root, "document")], max_nodes=MAX_NODES):
        node = visit.obj
        if not isinstance(node, DictionaryObject):
            continue
        for key in STRIP_KEYS:
            if key in node:
                del node[NameObject(key)]
                removed[key] = None
        if "/T" in node and _is_markup_annotation(node):
            del node[NameObject("/T")]
            removed["annotation author (/T)"] = None

    writer = PdfWriter()
    writer.clone_reader_document_root(reader)
    writer.metadata = None  # no /Info at all (not even pypdf's /Producer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), len(writer.pages), list(removed)


def document_info(pdf_bytes: bytes) -> dict[str, str]:
    """The document information dictionary (/Info) as text: what the reviewer copy drops
    and the chairs are told about when it names an author."""
    reader = PdfReader(io.BytesIO(pdf_bytes), strict=False)
    if reader.is_encrypted:
        return {}
    info = reader.metadata or {}
    out = {}
    for key, value in info.items():
        try:
            text = str(value).strip()
        except Exception:  # noqa: BLE001 - a broken value is not a finding
            continue
        if text:
            out[str(key)] = text[:500]
    return out


def _is_markup_annotation(node: DictionaryObject) -> bool:
    """Annotations whose /T is an author name (widgets use /T as the form-field name)."""
    return (
        "/Rect" in node
        and node.get("/Type") in (None, "/Annot")
        and node.get("/Subtype") in MARKUP_SUBTYPES
    )
