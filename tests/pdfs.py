"""In-memory builders for test PDFs and ZIP archives (reportlab + pypdf; no files on disk).

Main entry points:

* ``make_pdf(...)`` — a valid PDF with body text, optional hidden text (invisible, white,
  tiny, off-page), metadata (Info and XMP), and optional active content (JavaScript, launch
  action, embedded file) or encryption.
* ``canvas_pdf(draw, pages=1)`` — full control: ``draw(canvas, page_number)`` per page.
* ``modify_pdf(pdf, edit)`` — run ``edit(writer)`` on a pypdf writer cloned from ``pdf``.
* ``raw_pdf(objects)`` — hand-written objects with a correct xref (for broken structures).
* ``make_zip(members, ...)`` — archives with symlinks, encrypted flags, odd paths.

Output is deterministic (reportlab ``invariant`` mode), so SHA-256 values are stable.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable, Mapping

from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    TextStringObject,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

PAGE_WIDTH, PAGE_HEIGHT = A4
DEFAULT_TEXT = "A study of things. We propose a method and evaluate it carefully."

XMP_TEMPLATE = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def canvas_pdf(draw: Callable[[Canvas, int], None], pages: int = 1) -> bytes:
    """Build a PDF by calling ``draw(canvas, page_number)`` (1-based) for each page."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=0)
    for number in range(1, pages + 1):
        draw(canvas, number)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def modify_pdf(pdf: bytes, edit: Callable[[PdfWriter], None]) -> bytes:
    """Clone ``pdf`` into a pypdf writer, apply ``edit(writer)`` and return the new bytes."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    edit(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_pdf(
    pages: int = 1,
    text: str | list[str] = DEFAULT_TEXT,
    *,
    title: str | None = None,
    author: str | None = None,
    subject: str | None = None,
    keywords: str | None = None,
    creator: str | None = None,
    custom_metadata: Mapping[str, str] | None = None,
    invisible_text: str | None = None,
    white_text: str | None = None,
    tiny_text: str | None = None,
    offpage_text: str | None = None,
    hidden_page: int = 1,
    javascript: bool = False,
    launch_action: bool = False,
    embedded_file: bool = False,
    encrypted: bool = False,
    xmp_author: str | None = None,
    page_xmp_author: str | None = None,
) -> bytes:
    """Build a test PDF.

    ``text`` is drawn on every page (a list gives one entry per page; ``\\n`` starts a new
    line).  The ``*_text`` arguments add hidden text on page ``hidden_page``: render mode 3,
    white fill, 2 pt font, or drawn below the page's bottom edge.  ``javascript`` adds a
    document-level script, ``launch_action`` an /OpenAction of type /Launch,
    ``embedded_file`` an attachment, ``encrypted`` a user password ("secret").  Metadata goes
    into the Info dictionary; ``xmp_author``/``page_xmp_author`` into XMP streams on the
    catalog / first page.
    """
    texts = text if isinstance(text, list) else [text] * pages

    def draw(canvas: Canvas, number: int) -> None:
        canvas.setFont("Helvetica", 11)
        body = texts[number - 1] if number - 1 < len(texts) else ""
        for line_no, line in enumerate(body.split("\n")):
            canvas.drawString(72, PAGE_HEIGHT - 72 - 14 * line_no, line)
        canvas.drawString(72, 40, f"Page {number}")
        if number != hidden_page:
            return
        if invisible_text:
            canvas.saveState()  # Tr is graphics state: keep mode 3 from leaking
            obj = canvas.beginText(72, 400)
            obj.setFont("Helvetica", 11)
            obj.setTextRenderMode(3)
            obj.textLine(invisible_text)
            canvas.drawText(obj)
            canvas.restoreState()
        if white_text:
            canvas.saveState()
            canvas.setFillColorRGB(1, 1, 1)
            canvas.drawString(72, 350, white_text)
            canvas.restoreState()
        if tiny_text:
            canvas.setFont("Helvetica", 2)
            canvas.drawString(72, 300, tiny_text)
            canvas.setFont("Helvetica", 11)
        if offpage_text:
            canvas.drawString(72, -200, offpage_text)

    pdf = canvas_pdf(draw, pages)

    def edit(writer: PdfWriter) -> None:
        writer.metadata = None  # drop reportlab's defaults ("anonymous", "untitled")
        info = {
            "/Title": title,
            "/Author": author,
            "/Subject": subject,
            "/Keywords": keywords,
            "/Creator": creator,
            **{f"/{k.lstrip('/')}": v for k, v in (custom_metadata or {}).items()},
        }
        if any(v is not None for v in info.values()):
            writer.add_metadata({k: v for k, v in info.items() if v is not None})
        if xmp_author:
            writer.xmp_metadata = XMP_TEMPLATE.format(author=xmp_author).encode()
        if page_xmp_author:
            stream = DecodedStreamObject()
            stream.set_data(XMP_TEMPLATE.format(author=page_xmp_author).encode())
            stream[NameObject("/Type")] = NameObject("/Metadata")
            stream[NameObject("/Subtype")] = NameObject("/XML")
            writer.pages[0][NameObject("/Metadata")] = writer._add_object(stream)
        if javascript:
            writer.add_open_action(JavaScript("app.alert('hello');"))
        if launch_action:
            writer.root_object[NameObject("/OpenAction")] = action_dict(
                "/Launch", {"/F": TextStringObject("calc.exe")}
            )
        if embedded_file:
            writer.add_attachment("secret.txt", b"attached data")
        if encrypted:
            writer.encrypt(user_password="secret", owner_password="owner")

    return modify_pdf(pdf, edit)


def action_dict(kind: str, extra: Mapping[str, object] | None = None) -> DictionaryObject:
    """An action dictionary such as ``/S /Launch`` or ``/S /JavaScript`` (direct object)."""
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action")})
    action[NameObject("/S")] = NameObject(kind)
    for key, value in (extra or {}).items():
        action[NameObject(key)] = value  # type: ignore[assignment]
    return action


def raw_pdf(objects: list[str], *, root: int = 1, extra_trailer: str = "") -> bytes:
    """Assemble ``objects`` (bodies of objects 1..n, without ``obj``/``endobj``) into a PDF
    with a correct xref table, so broken *structures* can be tested without xref repair."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R {extra_trailer}>>\n"
    out.write(f"{trailer}startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def make_zip(
    members: Mapping[str, bytes] | None = None,
    *,
    symlinks: Mapping[str, str] | None = None,
    encrypted: tuple[str, ...] = (),
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """Build a ZIP: ``members`` are regular files, ``symlinks`` map link name -> target
    (Unix mode bits in ``external_attr``), ``encrypted`` names get the encryption flag bit
    set in both the local header and the central directory (content stays plain)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in (members or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    data = bytearray(buffer.getvalue())
    for name in encrypted:
        encoded = name.encode()
        headers = ((b"PK\x03\x04", 6, 26, 30), (b"PK\x01\x02", 8, 28, 46))
        for signature, flag_at, len_at, name_at in headers:
            pos = data.find(signature)
            while pos >= 0:
                name_len = int.from_bytes(data[pos + len_at : pos + len_at + 2], "little")
                if data[pos + name_at : pos + name_at + name_len] == encoded:
                    data[pos + flag_at] |= 0x01
                pos = data.find(signature, pos + 4)
    return bytes(data)
