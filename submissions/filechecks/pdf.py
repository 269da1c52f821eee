"""Upload-time PDF checks: fast, synchronous, safe to run inside a web request.

``check_pdf`` accepts or refuses an uploaded paper.  It verifies the size limit, the ``%PDF-``
signature, that pypdf can parse the file, that it is not encrypted, the page count, and that
it carries no active content (JavaScript, launch actions, embedded files, or actions that
fire automatically on open such as contacting a URL).

Robustness: pypdf is run with ``strict=False`` and every exception it raises (including
``RecursionError`` / ``MemoryError`` from pathological nesting) is mapped to the ``corrupt``
error, so callers only ever see ``FileCheckError``.  The page tree and the object graph are
walked iteratively with visited sets and node budgets (see ``_walk``), which defeats
reference cycles and "exponential" page trees that share subtrees.  Stream data is never
decoded here except for object streams, which pypdf decompresses with its own output limits.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from . import errors as e
from ._walk import Visit, WalkBudgetExceeded, resolve, walk
from .errors import DataSource, FileCheckError, read_limited, sha256_of

__all__ = ["PDF_MAGIC", "PdfInfo", "check_pdf", "sha256_of"]

PDF_MAGIC = b"%PDF-"
MAX_PAGE_TREE_NODES = 200_000
MAX_OBJECT_NODES = 2_000_000
# Action types that are dangerous when triggered automatically (/OpenAction, /AA): they
# contact the network or open other files, e.g. to de-anonymise reviewers.
AUTO_ACTION_TYPES = frozenset(
    {"/URI", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/Rendition", "/Movie", "/Sound"}
)

logging.getLogger("pypdf").setLevel(logging.ERROR)  # hostile files log floods of warnings


@dataclass(frozen=True)
class PdfInfo:
    """Facts about an accepted PDF."""

    page_count: int
    size: int  # bytes
    sha256: str  # hex digest of the exact uploaded bytes
    kind: str = "pdf"


def check_pdf(data: DataSource, *, max_bytes: int, max_pages: int | None) -> PdfInfo:
    """Check an uploaded paper and return its ``PdfInfo``, or raise ``FileCheckError``.

    ``data`` is bytes or a binary file object (e.g. a Django ``UploadedFile``; its position
    is restored).  ``max_pages=None`` disables the page limit.
    """
    content = read_limited(data, max_bytes)
    if not content.startswith(PDF_MAGIC):
        raise FileCheckError(
            e.NOT_PDF,
            "The file is not a PDF: it does not start with the PDF signature '%PDF-'. "
            "Please upload a PDF document.",
        )
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise FileCheckError(
                e.ENCRYPTED,
                "The PDF is encrypted or password-protected. Please upload a version "
                "without a password or security restrictions.",
            )
        pages = page_objects(reader)
        if not pages:
            raise FileCheckError(e.NO_PAGES, "The PDF has no pages (its page count is 0).")
        if max_pages is not None and len(pages) > max_pages:
            raise FileCheckError(
                e.TOO_MANY_PAGES,
                f"The PDF has too many pages: it has {len(pages)} pages, "
                f"and the limit is {max_pages}.",
            )
        _check_active_content(reader, pages)
    except FileCheckError:
        raise
    except WalkBudgetExceeded as exc:
        raise FileCheckError(
            e.CORRUPT, f"The PDF cannot be checked because it is too complex ({exc})."
        ) from exc
    except Exception as exc:  # any parser failure means "cannot be parsed"
        raise FileCheckError(
            e.CORRUPT,
            "The PDF cannot be parsed; the file seems to be damaged or is not a valid PDF "
            f"({_describe(exc)}). Please export it again and re-upload.",
        ) from exc
    return PdfInfo(page_count=len(pages), size=len(content), sha256=sha256_of(content))


def page_objects(reader: PdfReader, max_nodes: int = MAX_PAGE_TREE_NODES) -> list[PdfObject]:
    """Return the leaf page objects (indirect references when available) in order.

    Unlike ``len(reader.pages)`` this refuses page trees with cycles or shared subtrees,
    which could otherwise make the page count explode or loop, and caps the node count.
    """
    root = resolve(reader.trailer.get("/Root"))
    if not isinstance(root, DictionaryObject):
        raise FileCheckError(e.CORRUPT, "The PDF cannot be parsed: it has no document catalog.")
    stack: list[PdfObject] = [root.get("/Pages")]
    seen: set[object] = set()
    leaves: list[PdfObject] = []
    while stack:
        ref = stack.pop()
        node = resolve(ref)
        if not isinstance(node, DictionaryObject):
            continue  # null / missing kids are skipped, as viewers do
        key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(node)
        if key in seen:
            raise FileCheckError(
                e.CORRUPT,
                "The PDF cannot be parsed: its page tree refers to the same node twice "
                "(a loop or shared subtree).",
            )
        seen.add(key)
        if len(seen) > max_nodes:
            raise FileCheckError(
                e.CORRUPT, f"The PDF cannot be checked: its page tree has over {max_nodes} nodes."
            )
        kids = resolve(node.get("/Kids"))
        if node.get("/Type") == "/Pages" or isinstance(kids, ArrayObject):
            if isinstance(kids, ArrayObject):
                stack.extend(reversed(list(kids)))
        else:
            leaves.append(ref)
    return leaves


def _check_active_content(reader: PdfReader, pages: list[PdfObject]) -> None:
    """Raise for JavaScript, launch actions, embedded files or automatic network actions."""
    found: dict[str, str] = {}  # code -> message, first finding per code
    roots: list[tuple[PdfObject, str]] = [(p, f"page {i + 1}") for i, p in enumerate(pages)]
    roots.append((reader.trailer.get("/Root"), "document catalog"))
    for visit in walk(roots, max_nodes=MAX_OBJECT_NODES, skip_key=_skip_page_parent):
        for code, message in _findings(visit):
            found.setdefault(code, message)
        if e.JAVASCRIPT in found:
            break
    for code in (e.JAVASCRIPT, e.LAUNCH_ACTION, e.EMBEDDED_FILE, e.AUTO_ACTION):
        if code in found:
            raise FileCheckError(code, found[code])


def _skip_page_parent(node: DictionaryObject, key: str) -> bool:
    """Do not climb from a page back up the page tree (keeps 'page N' labels accurate)."""
    return key == "/Parent" and node.get("/Type") in ("/Page", "/Pages")


def _findings(visit: Visit) -> list[tuple[str, str]]:
    node = visit.obj
    if not isinstance(node, DictionaryObject):
        return []
    where = visit.where()
    out: list[tuple[str, str]] = []
    action = node.get("/S")
    if "/JS" in node or action == "/JavaScript" or "/JavaScript" in node:
        at = visit.where("/JavaScript") if "/JavaScript" in node else where
        out.append(
            (
                e.JAVASCRIPT,
                f"The PDF contains JavaScript (in {at}). Scripts are not allowed in "
                "submissions; please export the PDF again without scripts or interactive forms.",
            )
        )
    if action == "/Launch":
        out.append(
            (
                e.LAUNCH_ACTION,
                f"The PDF contains a launch action that can start programs or open files "
                f"(in {where}). Please remove it and upload again.",
            )
        )
    at_files = visit.where("/EmbeddedFiles") if "/EmbeddedFiles" in node else where
    if (
        "/EmbeddedFiles" in node
        or "/EF" in node
        or node.get("/Subtype") == "/FileAttachment"
        or node.get("/Type") == "/EmbeddedFile"
    ):
        out.append(
            (
                e.EMBEDDED_FILE,
                f"The PDF contains embedded files or attachments (in {at_files}). Attachments are "
                "not allowed inside the paper; please remove them (use supplementary material).",
            )
        )
    for trigger in _automatic_actions(node):
        kind = str(trigger.get("/S"))
        if kind in AUTO_ACTION_TYPES:
            out.append(
                (
                    e.AUTO_ACTION,
                    f"The PDF contains an action that runs automatically when it is opened "
                    f"({kind.lstrip('/')} action in {where}), e.g. contacting a web address. "
                    "Please remove it and upload again.",
                )
            )
    return out


def _automatic_actions(node: DictionaryObject) -> list[DictionaryObject]:
    """Action dictionaries fired without a click: /OpenAction and /AA triggers."""
    actions: list[DictionaryObject] = []
    open_action = resolve(node.get("/OpenAction"))
    if isinstance(open_action, DictionaryObject):
        actions.append(open_action)
    aa = resolve(node.get("/AA"))
    if isinstance(aa, DictionaryObject):
        for value in aa.values():
            value = resolve(value)
            if isinstance(value, DictionaryObject):
                actions.append(value)
    return actions


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:150] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
