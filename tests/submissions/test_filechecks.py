"""Upload-time checks: check_pdf, check_zip, check_supplementary (pure Python, no Django)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from submissions.filechecks import (
    ArchiveInfo,
    FileCheckError,
    PdfInfo,
    check_pdf,
    check_supplementary,
    check_zip,
    format_mb,
    sha256_of,
)
from tests.pdfs import action_dict, make_pdf, make_zip, modify_pdf, raw_pdf

MB = 1024 * 1024
LIMIT = 20 * MB


def pdf_error(data: bytes | io.BytesIO, max_bytes: int = LIMIT, max_pages: int | None = 50):
    with pytest.raises(FileCheckError) as info:
        check_pdf(data, max_bytes=max_bytes, max_pages=max_pages)
    return info.value


def zip_error(data: bytes, **kwargs: int):
    kwargs.setdefault("max_bytes", LIMIT)
    with pytest.raises(FileCheckError) as info:
        check_zip(data, **kwargs)
    return info.value


def link_annotation(action: DictionaryObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (72, 72, 200, 90)]),
            NameObject("/A"): action,
        }
    )


def add_annotation(writer: PdfWriter, annotation: DictionaryObject, page: int = 0) -> None:
    writer.pages[page][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


# --- good PDFs -------------------------------------------------------------------------


def test_good_pdf_reports_pages_size_and_sha256() -> None:
    data = make_pdf(pages=3)
    info = check_pdf(data, max_bytes=LIMIT, max_pages=10)
    assert info == PdfInfo(page_count=3, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def test_file_object_is_read_and_its_position_restored() -> None:
    data = make_pdf(pages=2)
    upload = io.BytesIO(data)
    upload.seek(5)
    info = check_pdf(upload, max_bytes=LIMIT, max_pages=None)
    assert info.page_count == 2
    assert info.sha256 == sha256_of(data) == sha256_of(io.BytesIO(data))
    assert upload.tell() == 5


def test_page_limit_is_inclusive_and_optional() -> None:
    data = make_pdf(pages=4)
    assert check_pdf(data, max_bytes=LIMIT, max_pages=4).page_count == 4
    assert check_pdf(data, max_bytes=LIMIT, max_pages=None).page_count == 4


def test_hyperref_style_open_action_and_clickable_links_are_accepted() -> None:
    """LaTeX hyperref emits /OpenAction [page /Fit] and /URI links: both are harmless."""

    def edit(writer: PdfWriter) -> None:
        page_ref = writer.pages[0].indirect_reference
        writer.root_object[NameObject("/OpenAction")] = ArrayObject([page_ref, NameObject("/Fit")])
        uri = action_dict("/URI", {"/URI": TextStringObject("https://example.org")})
        add_annotation(writer, link_annotation(uri))

    assert check_pdf(modify_pdf(make_pdf(), edit), max_bytes=LIMIT, max_pages=5).page_count == 1


# --- bad PDFs: one test per problem -------------------------------------------------------


def test_not_a_pdf() -> None:
    err = pdf_error(b"Hello, this is a Word document really")
    assert err.code == "not_pdf"
    assert "not a PDF" in err.message and "%PDF-" in err.message


def test_pdf_signature_must_be_at_the_very_start() -> None:
    assert pdf_error(b"\n" + make_pdf()).code == "not_pdf"


def test_empty_file() -> None:
    err = pdf_error(b"")
    assert err.code == "empty" and "empty" in err.message


def test_too_large_names_size_and_limit() -> None:
    data = b"%PDF-1.7\n" + b"0" * int(1.5 * MB)
    err = pdf_error(data, max_bytes=1 * MB)
    assert err.code == "too_large"
    assert "too large" in err.message and "1.5 MB" in err.message and "limit is 1 MB" in err.message


def test_too_large_file_object_is_not_read_entirely() -> None:
    class Upload(io.BytesIO):
        size = 50 * MB
        read_sizes: list[int] = []

        def read(self, n: int | None = -1) -> bytes:
            self.read_sizes.append(n if n is not None else -1)
            return super().read(n)

    upload = Upload(b"%PDF-1.7\n" + b"0" * (2 * MB))
    err = pdf_error(upload, max_bytes=1 * MB)
    assert err.code == "too_large" and "50 MB" in err.message
    assert all(0 < n <= MB + 1 for n in Upload.read_sizes)


def test_corrupt_pdf() -> None:
    err = pdf_error(b"%PDF-1.7\n this is not really a pdf \x00\x01\x02 at all\n%%EOF")
    assert err.code == "corrupt"
    assert "cannot be parsed" in err.message


def test_truncated_pdf_is_corrupt_or_accepted_never_crashes() -> None:
    data = make_pdf(pages=2)
    for cut in (len(data) // 4, len(data) // 2):
        try:
            check_pdf(data[:cut], max_bytes=LIMIT, max_pages=10)
        except FileCheckError as err:
            assert err.code == "corrupt"


def test_encrypted_pdf() -> None:
    err = pdf_error(make_pdf(encrypted=True))
    assert err.code == "encrypted"
    assert "encrypted" in err.message and "password" in err.message


def test_encrypted_with_empty_user_password_is_still_refused() -> None:
    data = modify_pdf(make_pdf(), lambda w: w.encrypt(user_password="", owner_password="own"))
    assert pdf_error(data).code == "encrypted"


def test_too_many_pages_names_count_and_limit() -> None:
    err = pdf_error(make_pdf(pages=5), max_pages=3)
    assert err.code == "too_many_pages"
    assert "it has 5 pages" in err.message and "limit is 3" in err.message


def test_zero_pages() -> None:
    data = raw_pdf(["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"])
    err = pdf_error(data)
    assert err.code == "no_pages" and "no pages" in err.message


def test_zero_pages_from_pypdf_writer() -> None:
    out = io.BytesIO()
    PdfWriter().write(out)
    assert pdf_error(out.getvalue()).code == "no_pages"


def test_page_tree_cycle_is_corrupt() -> None:
    data = raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>",
        ]
    )
    err = pdf_error(data)
    assert err.code == "corrupt" and "page tree" in err.message


def test_exponential_shared_page_tree_is_refused_quickly() -> None:
    """Each level lists the next one 10 times: 10**6 'pages' from a 1 KB file."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(2, 8):
        kids = " ".join([f"{level + 1} 0 R"] * 10)
        objects.append(f"<< /Type /Pages /Kids [{kids}] /Count 1 >>")
    objects.append("<< /Type /Page /MediaBox [0 0 10 10] >>")
    assert pdf_error(raw_pdf(objects)).code == "corrupt"


def test_deeply_nested_arrays_do_not_crash() -> None:
    nested = "[" * 5000 + "]" * 5000
    data = raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /X {nested} >>",
        ]
    )
    try:
        assert check_pdf(data, max_bytes=LIMIT, max_pages=5).page_count == 1
    except FileCheckError as err:
        assert err.code == "corrupt"


def test_javascript_in_names_tree() -> None:
    err = pdf_error(make_pdf(javascript=True))
    assert err.code == "javascript"
    assert "JavaScript" in err.message and "/Names/JavaScript" in err.message


def test_javascript_open_action() -> None:
    def edit(writer: PdfWriter) -> None:
        writer.root_object[NameObject("/OpenAction")] = JavaScript("app.alert(1)")

    err = pdf_error(modify_pdf(make_pdf(), edit))
    assert err.code == "javascript" and "/OpenAction" in err.message


def test_javascript_in_page_additional_actions() -> None:
    data = modify_pdf(
        make_pdf(pages=2), lambda w: w.pages[1].add_action(PageTrigger.OPEN, JavaScript("x()"))
    )
    err = pdf_error(data)
    assert err.code == "javascript" and "page 2" in err.message and "/AA" in err.message


def test_javascript_in_link_annotation() -> None:
    def edit(writer: PdfWriter) -> None:
        add_annotation(writer, link_annotation(JavaScript("this.print()")))

    err = pdf_error(modify_pdf(make_pdf(), edit))
    assert err.code == "javascript" and "page 1" in err.message and "/Annots" in err.message


def test_javascript_in_form_field_additional_actions() -> None:
    def edit(writer: PdfWriter) -> None:
        field = DictionaryObject(
            {
                NameObject("/FT"): NameObject("/Tx"),
                NameObject("/T"): TextStringObject("name"),
                NameObject("/AA"): DictionaryObject({NameObject("/K"): JavaScript("k()")}),
            }
        )
        writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject([writer._add_object(field)])}
        )

    err = pdf_error(modify_pdf(make_pdf(), edit))
    assert err.code == "javascript" and "/AcroForm" in err.message


def test_launch_action() -> None:
    err = pdf_error(make_pdf(launch_action=True))
    assert err.code == "launch_action"
    assert "launch action" in err.message and "/OpenAction" in err.message


def test_launch_action_in_annotation() -> None:
    def edit(writer: PdfWriter) -> None:
        launch = action_dict("/Launch", {"/F": TextStringObject("cmd.exe")})
        add_annotation(writer, link_annotation(launch))

    err = pdf_error(modify_pdf(make_pdf(), edit))
    assert err.code == "launch_action" and "page 1" in err.message


def test_embedded_file() -> None:
    err = pdf_error(make_pdf(embedded_file=True))
    assert err.code == "embedded_file"
    assert "embedded files" in err.message and "/EmbeddedFiles" in err.message


def test_file_attachment_annotation() -> None:
    def edit(writer: PdfWriter) -> None:
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): ArrayObject([NumberObject(v) for v in (0, 0, 10, 10)]),
            }
        )
        add_annotation(writer, annotation)

    err = pdf_error(modify_pdf(make_pdf(), edit))
    assert err.code == "embedded_file" and "page 1" in err.message


def test_automatic_uri_open_action() -> None:
    def edit(writer: PdfWriter) -> None:
        uri = action_dict("/URI", {"/URI": TextStringObject("https://tracker.example/x")})
        writer.root_object[NameObject("/OpenAction")] = uri

    err = pdf_error(modify_pdf(make_pdf(), edit))
    assert err.code == "auto_action"
    assert "automatically" in err.message and "URI" in err.message


def test_javascript_reported_before_other_problems() -> None:
    err = pdf_error(make_pdf(javascript=True, launch_action=True, embedded_file=True))
    assert err.code == "javascript"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_fuzzed_pdfs_only_ever_raise_filecheckerror(data: st.DataObject) -> None:
    original = bytearray(FUZZ_BASE)
    for _ in range(data.draw(st.integers(1, 20))):
        pos = data.draw(st.integers(5, len(original) - 1))
        original[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del original[data.draw(st.integers(10, len(original))) :]
    try:
        info = check_pdf(bytes(original), max_bytes=LIMIT, max_pages=10)
    except FileCheckError as err:
        assert err.code in {"corrupt", "no_pages", "too_many_pages", "encrypted", "javascript"}
        assert err.message
    else:
        assert info.page_count >= 1


FUZZ_BASE = make_pdf(pages=2, text="fuzz me")


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_after_signature_only_raise_filecheckerror(tail: bytes) -> None:
    try:
        check_pdf(b"%PDF-1.4\n" + tail, max_bytes=LIMIT, max_pages=10)
    except FileCheckError as err:
        assert err.code in {"corrupt", "no_pages"}


def test_format_mb() -> None:
    assert format_mb(10 * MB) == "10 MB"
    assert format_mb(int(12.5 * MB)) == "12.5 MB"
    assert format_mb(int(12.346 * MB)) == "12.35 MB"
    assert format_mb(2048) == "2 KB"
    assert format_mb(10) == "10 bytes"


# --- ZIP archives ----------------------------------------------------------------------


def test_good_zip() -> None:
    data = make_zip({"README.md": b"hello", "code/main.py": b"print('hi')\n" * 100})
    info = check_zip(data, max_bytes=LIMIT)
    assert info == ArchiveInfo(
        member_count=2,
        size=len(data),
        uncompressed_size=5 + 1200,
        sha256=hashlib.sha256(data).hexdigest(),
    )


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "..\\evil.txt", "a/.."])
def test_zip_path_traversal(name: str) -> None:
    err = zip_error(make_zip({"ok.txt": b"x", name: b"pwned"}))
    assert err.code == "path_traversal"
    assert name in err.message and ".." in err.message


@pytest.mark.parametrize("name", ["/etc/cron.d/evil", "C:\\Windows\\evil.dll", "c:/evil.txt"])
def test_zip_absolute_path(name: str) -> None:
    err = zip_error(make_zip({name: b"pwned"}))
    assert err.code == "absolute_path"
    assert "absolute path" in err.message and name in err.message


def test_zip_symlink() -> None:
    err = zip_error(make_zip({"a.txt": b"x"}, symlinks={"link": "/etc/passwd"}))
    assert err.code == "symlink"
    assert "symbolic link" in err.message and "'link'" in err.message


def test_zip_too_many_members() -> None:
    data = make_zip({f"f{i}.txt": b"x" for i in range(11)})
    err = zip_error(data, max_members=10)
    assert err.code == "too_many_members"
    assert "it has 11" in err.message and "limit is 10" in err.message


def test_zip_declared_member_count_checked_before_parsing() -> None:
    data = bytearray(make_zip({"a.txt": b"x"}))
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 60000, 60000)
    err = zip_error(bytes(data), max_members=1000)
    assert err.code == "too_many_members" and "60000" in err.message


def test_zip_bomb_by_compression_ratio() -> None:
    data = make_zip({"zeros.bin": bytes(5 * MB)})
    assert len(data) < 20_000
    err = zip_error(data)
    assert err.code == "zip_bomb"
    assert "zeros.bin" in err.message and "zip bomb" in err.message


def test_zip_bomb_by_total_size_budget() -> None:
    members = {f"part{i}.bin": os.urandom(600 * 1024) for i in range(3)}
    err = zip_error(make_zip(members), max_uncompressed=1 * MB)
    assert err.code == "zip_bomb"
    assert "limit is 1 MB" in err.message


def test_zip_lying_declared_size_is_not_trusted() -> None:
    """Central directory claims 1000 bytes for 5 MB of zeros: decompression proves it wrong."""
    data = bytearray(make_zip({"zeros.bin": bytes(5 * MB)}))
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = data.find(signature)
        struct.pack_into("<I", data, pos + size_at, 1000)
    err = zip_error(bytes(data))
    assert err.code in {"corrupt", "zip_bomb"}


def test_zip_overlapping_entries() -> None:
    data = bytearray(make_zip({"a.bin": b"A" * 1000}))
    cd = data.find(b"PK\x01\x02")
    eocd = data.rfind(b"PK\x05\x06")
    entry = bytes(data[cd:eocd])
    twin = entry.replace(b"a.bin", b"b.bin")
    new = bytearray(data[:eocd] + twin + data[eocd:])
    eocd += len(twin)
    struct.pack_into("<HHI", new, eocd + 8, 2, 2, len(entry) * 2)
    err = zip_error(bytes(new))
    assert err.code == "zip_bomb" and "share data" in err.message


def test_zip_encrypted_member() -> None:
    err = zip_error(make_zip({"a.txt": b"x", "secret.txt": b"y"}, encrypted=("secret.txt",)))
    assert err.code == "encrypted"
    assert "encrypted" in err.message and "secret.txt" in err.message


def test_zip_corrupt() -> None:
    err = zip_error(b"PK\x03\x04" + b"\x00garbage" * 50)
    assert err.code == "corrupt" and "cannot be read" in err.message


def test_zip_truncated_is_corrupt() -> None:
    data = make_zip({"a.txt": b"hello world" * 1000})
    assert zip_error(data[: len(data) // 2]).code == "corrupt"


def test_zip_bad_crc_is_corrupt() -> None:
    data = bytearray(make_zip({"a.txt": b"hello"}, compression=zipfile.ZIP_STORED))
    pos = data.find(b"hello")
    data[pos] ^= 0xFF
    assert zip_error(bytes(data)).code == "corrupt"


def test_not_a_zip() -> None:
    err = zip_error(make_pdf())
    assert err.code == "not_zip" and "not a ZIP" in err.message


def test_empty_zip() -> None:
    err = zip_error(make_zip({}))
    assert err.code == "empty" and "no files" in err.message


def test_zip_too_large() -> None:
    err = zip_error(make_zip({"r.bin": os.urandom(300_000)}), max_bytes=100_000)
    assert err.code == "too_large" and "97.7 KB" in err.message


# --- supplementary dispatch ----------------------------------------------------------------


def test_supplementary_dispatches_by_magic_not_name() -> None:
    pdf, archive = make_pdf(pages=2), make_zip({"a.txt": b"x"})
    assert isinstance(check_supplementary(archive, "paper.pdf", max_bytes=LIMIT), ArchiveInfo)
    info = check_supplementary(pdf, "data.zip", max_bytes=LIMIT)
    assert isinstance(info, PdfInfo) and info.page_count == 2


def test_supplementary_applies_the_pdf_checks() -> None:
    with pytest.raises(FileCheckError) as info:
        check_supplementary(make_pdf(javascript=True), "appendix.pdf", max_bytes=LIMIT)
    assert info.value.code == "javascript"


def test_supplementary_other_type_is_refused() -> None:
    with pytest.raises(FileCheckError) as info:
        check_supplementary(b"\x89PNG\r\n\x1a\n...", "figure.pdf", max_bytes=LIMIT)
    assert info.value.code == "unsupported_type"
    assert "figure.pdf" in info.value.message and "neither a PDF nor a ZIP" in info.value.message
