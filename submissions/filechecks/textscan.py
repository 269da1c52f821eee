"""Per-character text extraction with rendering attributes (for the deep checks).

Why pdfminer.six directly rather than pdfplumber: pdfplumber's ``chars`` expose colour, size
and bbox but not the text render mode (``Tr``), which is how "invisible" text (mode 3, or 7 =
clip only) is hidden.  pdfminer's interpreter keeps the mode in ``textstate.render`` and
passes the text state to ``PDFTextDevice.render_string``; ``_CharDevice`` below records it
there and builds one ``Char`` per glyph in ``render_char``.  It skips layout analysis,
path and image objects entirely (``laparams=None``, no-op ``paint_path``/``render_image``),
which keeps memory and CPU low, and yields characters in content-stream order: this is what
we want for grouping hidden runs, since injected prompts are usually one contiguous string.
Word spaces and line breaks are inferred from glyph geometry, as pdfminer's layout does.
pdfminer ignores the ``gs`` operator, so ``_Interpreter`` adds fill/stroke opacity
(ExtGState /ca, /CA): fully transparent text is reported as "invisible" too.

Known blind spots (documented, not detected): text covered by an opaque shape or image, text
in optional-content layers switched off, text in annotation appearance streams, and colour
state set outside a form XObject (pdfminer starts each form with a fresh graphics state).

Coordinates: pdfminer maps each page so its MediaBox starts at (0, 0) (and applies /Rotate);
the visible area (CropBox ∩ MediaBox) is mapped through the same matrix in ``begin_page``.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from pdfminer.casting import safe_float
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar
from pdfminer.pdfcolor import PDFColorSpace
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdffont import PDFFont, PDFUnicodeNotDefined
from pdfminer.pdfinterp import (
    PDFGraphicState,
    PDFPageInterpreter,
    PDFResourceManager,
    PDFTextState,
)
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import dict_value, resolve1
from pdfminer.psparser import literal_name
from pdfminer.utils import Matrix, PathSegment, Rect, apply_matrix_rect, mult_matrix

logging.getLogger("pdfminer").setLevel(logging.ERROR)

TINY_PT = 4.0  # effective font size below which text counts as "tiny"
WHITE = 0.95  # gray/RGB component at or above which a colour counts as white
NO_INK = 0.05  # CMYK / separation tint at or below which there is no visible ink
OFFPAGE_TOLERANCE = 1.0  # points
TRANSPARENT = 0.05  # fill/stroke opacity at or below which text is invisible
INVISIBLE_MODES = frozenset({3, 7})  # 3 = neither fill nor stroke, 7 = add to clip only
FILL_MODES = frozenset({0, 2, 4, 6})
STROKE_MODES = frozenset({1, 2, 5, 6})
HIDDEN_KINDS = ("invisible", "white", "tiny", "offpage")
OFFPAGE = frozenset({"offpage"})


@dataclass(frozen=True)
class Char:
    """One rendered glyph: its text, device-space bbox and the hidden-text kinds it has."""

    text: str
    bbox: Rect
    kinds: frozenset[str]


@dataclass
class PageText:
    """Extracted text of one page as tokens; inferred separators have ``kinds=None``."""

    number: int  # 1-based
    tokens: list[tuple[str, frozenset[str] | None]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(token for token, _ in self.tokens)

    @property
    def char_count(self) -> int:
        return sum(len(t.strip()) for t, kinds in self.tokens if kinds is not None)


class _GraphicState(PDFGraphicState):
    """pdfminer's graphics state plus the fill/stroke opacity it does not track."""

    def __init__(self) -> None:
        super().__init__()
        self.fill_alpha = 1.0
        self.stroke_alpha = 1.0

    def copy(self) -> _GraphicState:
        obj = _GraphicState()
        obj.__dict__.update(self.__dict__)
        return obj


class _Interpreter(PDFPageInterpreter):
    """Interpreter that also applies opacity from ``gs`` (ExtGState) operators."""

    def init_state(self, ctm: Matrix) -> None:
        super().init_state(ctm)
        self.graphicstate = _GraphicState()

    def do_gs(self, name: object) -> None:
        try:
            states = dict_value(self.resources.get("ExtGState"))
            params = dict_value(states.get(literal_name(name)))
        except Exception:  # noqa: BLE001 - malformed resources: ignore the operator
            return
        for key, attr in (("ca", "fill_alpha"), ("CA", "stroke_alpha")):
            value = safe_float(resolve1(params.get(key)))
            if value is not None:
                setattr(self.graphicstate, attr, value)


class _CharDevice(PDFPageAggregator):
    """A pdfminer device that records a ``Char`` per glyph instead of building a layout."""

    def __init__(self, rsrcmgr: PDFResourceManager) -> None:
        super().__init__(rsrcmgr, laparams=None)
        self.chars: list[Char] = []
        self.visible: Rect = (0.0, 0.0, 0.0, 0.0)
        self._style: frozenset[str] = frozenset()

    def begin_page(self, page: PDFPage, ctm: Matrix) -> None:
        super().begin_page(page, ctm)
        self.chars = []
        mx0, my0, mx1, my1 = page.mediabox
        cx0, cy0, cx1, cy1 = page.cropbox
        box = (max(mx0, cx0), max(my0, cy0), min(mx1, cx1), min(my1, cy1))
        self.visible = apply_matrix_rect(
            ctm, box if box[0] < box[2] and box[1] < box[3] else page.mediabox
        )

    def render_string(
        self,
        textstate: PDFTextState,
        seq: list[object],
        ncs: PDFColorSpace,
        graphicstate: PDFGraphicState,
    ) -> None:
        # Mode, colour and the text matrix's scale are constant for the whole string, so the
        # style kinds are computed once here; only "offpage" is decided per glyph.
        matrix = mult_matrix(textstate.matrix, self.ctm)
        scaling = textstate.scaling * 0.01
        self._style = style_kinds(
            textstate.render, graphicstate, textstate.fontsize, scaling, matrix
        )
        super().render_string(textstate, seq, ncs, graphicstate)  # type: ignore[arg-type]

    def render_char(
        self,
        matrix: Matrix,
        font: PDFFont,
        fontsize: float,
        scaling: float,
        rise: float,
        cid: int,
        ncs: PDFColorSpace,
        graphicstate: PDFGraphicState,
    ) -> float:
        try:
            text = font.to_unichr(cid)
        except PDFUnicodeNotDefined:
            text = self.handle_undefined_char(font, cid)
        if font.is_vertical():  # rare: let pdfminer compute the vertical geometry
            item = LTChar(
                matrix,
                font,
                fontsize,
                scaling,
                rise,
                text,
                font.char_width(cid),
                font.char_disp(cid),
                ncs,
                graphicstate,
            )
            bbox, adv = item.bbox, item.adv
        else:  # same geometry as LTChar, without building layout objects
            adv = font.char_width(cid) * fontsize * scaling
            bottom = font.get_descent() * fontsize + rise
            bbox = apply_matrix_rect(matrix, (0, bottom, adv, bottom + fontsize))
        kinds = self._style
        if not _overlaps(bbox, self.visible, OFFPAGE_TOLERANCE):
            kinds = kinds | OFFPAGE
        self.chars.append(Char(text, bbox, kinds))
        return adv

    def paint_path(
        self, gstate: object, stroke: bool, fill: bool, evenodd: bool, path: list[PathSegment]
    ) -> None:
        """Paths are irrelevant to text checks; skipping them saves a lot of memory."""

    def render_image(self, name: str, stream: object) -> None:
        """Images are irrelevant to text checks."""


def style_kinds(
    mode: int, gs: PDFGraphicState, fontsize: float, scaling: float, matrix: Matrix
) -> frozenset[str]:
    """Hidden kinds implied by render mode, paint colour and effective font size."""
    kinds: set[str] = set()
    if mode in INVISIBLE_MODES:
        kinds.add("invisible")
    else:
        paints = []
        if mode in FILL_MODES:
            paints.append((gs.ncs, gs.ncolor, getattr(gs, "fill_alpha", 1.0)))
        if mode in STROKE_MODES:
            paints.append((gs.scs, gs.scolor, getattr(gs, "stroke_alpha", 1.0)))
        if paints and all(alpha <= TRANSPARENT for _, _, alpha in paints):
            kinds.add("invisible")  # fully transparent (ExtGState /ca, /CA)
        elif paints and all(is_whiteish(cs, colour) for cs, colour, _ in paints):
            kinds.add("white")
    a, b, c, d, _, _ = matrix
    # Effective size: glyph height (Tf size x vertical scale of Tm x CTM), or its width when
    # squeezed horizontally (Tz / matrix), whichever is smaller.
    size = min(abs(fontsize) * math.hypot(c, d), abs(fontsize * scaling) * math.hypot(a, b))
    if size < TINY_PT:
        kinds.add("tiny")
    return frozenset(kinds)


def is_whiteish(cs: PDFColorSpace | None, colour: object) -> bool:
    """Whether a colour in colour space ``cs`` paints (near) white on a white page."""
    try:
        values = [float(v) for v in (colour if isinstance(colour, (list, tuple)) else [colour])]
    except (TypeError, ValueError):
        return False  # pattern names and other non-numeric colours
    name = getattr(cs, "name", "DeviceGray")
    n = len(values)
    if name in ("Separation", "DeviceN") or (n == 4 and name != "Lab"):
        return all(v <= NO_INK for v in values)  # tints / CMYK: no ink is white
    if name == "Lab" and n == 3:
        return values[0] >= 100 * WHITE and abs(values[1]) <= 5 and abs(values[2]) <= 5
    if name in ("Indexed", "Pattern") or n not in (1, 3):
        return False
    return all(v >= WHITE for v in values)


def _overlaps(a: Rect, b: Rect, tol: float) -> bool:
    return a[0] <= b[2] + tol and a[2] >= b[0] - tol and a[1] <= b[3] + tol and a[3] >= b[1] - tol


def extract_pages(pdf_bytes: bytes, warnings: list[str]) -> Iterator[PageText]:
    """Yield a ``PageText`` per page; a page that fails to parse yields no text + a warning.

    Raises pdfminer exceptions only if the document as a whole cannot be opened.
    """
    parser = PDFParser(io.BytesIO(pdf_bytes))
    document = PDFDocument(parser, password="")
    rsrcmgr = PDFResourceManager(caching=True)
    device = _CharDevice(rsrcmgr)
    interpreter = _Interpreter(rsrcmgr, device)
    for number, page in enumerate(PDFPage.create_pages(document), start=1):
        try:
            interpreter.process_page(page)
        except MemoryError:
            raise  # the memory limit was hit: the worker reports it as such
        except Exception as exc:  # noqa: BLE001 - one bad page must not end the analysis
            warnings.append(f"page {number} could not be fully analysed ({type(exc).__name__})")
            device._stack.clear()  # reset after an aborted form XObject
        yield PageText(number, _tokens(device.chars))
        device.chars = []


def _tokens(chars: list[Char]) -> list[tuple[str, frozenset[str] | None]]:
    """Turn glyphs into tokens, inserting spaces / newlines where the geometry says so."""
    tokens: list[tuple[str, frozenset[str] | None]] = []
    prev: Char | None = None
    for char in chars:
        if not char.text.strip():
            tokens.append((" " if char.text else "", None))
            continue
        if prev is not None:
            sep = _separator(prev.bbox, char.bbox)
            if sep:
                tokens.append((sep, None))
        tokens.append((char.text, char.kinds))
        prev = char
    return tokens


def _separator(prev: Rect, cur: Rect) -> str:
    height = max(prev[3] - prev[1], cur[3] - cur[1], 0.1)
    if abs((prev[1] + prev[3]) / 2 - (cur[1] + cur[3]) / 2) > 0.6 * height:
        return "\n"
    if cur[0] - prev[2] > 0.15 * height or cur[2] < prev[0]:
        return " "
    return ""


def hidden_runs(page: PageText, min_chars: int = 3, max_len: int = 2000) -> list[dict[str, object]]:
    """Group consecutive glyphs of the same hidden kind into ``{page, kind, text}`` entries.

    Separators and whitespace neither start nor break a run; runs with fewer than
    ``min_chars`` visible characters (stray tiny symbols in figures) are dropped.
    """
    found: list[tuple[int, str, str]] = []
    for kind in HIDDEN_KINDS:
        run: list[str] = []
        pending: list[str] = []
        start = 0
        for index, (text, kinds) in enumerate([*page.tokens, ("", frozenset())]):
            if kinds is None:
                if run:
                    pending.append(text)
            elif kind in kinds:
                if not run:
                    start = index
                run.extend(pending)
                run.append(text)
                pending = []
            elif run:
                joined = " ".join("".join(run).split())
                if sum(not ch.isspace() for ch in joined) >= min_chars:
                    if len(joined) > max_len:
                        joined = joined[:max_len] + "…"
                    found.append((start, kind, joined))
                run, pending = [], []
    found.sort()
    return [{"page": page.number, "kind": kind, "text": text} for _, kind, text in found]
