"""Reviewers' own copies of a paper with canaries (issue 26, item 1): what each reviewer
downloads, what the authors download, what the copies hide and show, the flags a canary
phrase raises, and `manage.py copy_trace`.

The world is tests/reviews/conftest.py's: paper P (#1) of workshop WSA with Reviewers A
(R1, submitted), B (R2, draft) and C (R3, not started) and an area chair.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess

import numpy as np
import pypdfium2 as pdfium
import pytest
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader, PdfWriter

from reviews import canary
from reviews.models import FlagKind, ReviewCopy, ReviewFlag
from reviews.services.copies import canary_hits, review_copy_make
from reviews.services.reviewing import comment_post, review_save_draft, review_submit
from tests.workshop.admin_world import form_data
from workshop.models import Workshop

from .conftest import World, p_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def canaries(world: World) -> World:
    Workshop.objects.filter(pk=world.workshop.pk).update(review_copy_canary=True)
    world.workshop.refresh_from_db()
    world.p.workshop = world.workshop
    return world


def download(client, world: World, key: str) -> bytes:
    client.force_login(world.users[key])
    url = reverse("reviews:paper_pdf", args=[world.workshop.slug, world.p.number])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.get(url + "?download=1")
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def copy_of(world: World, key: str) -> ReviewCopy:
    return ReviewCopy.objects.get(assignment=world.assignments[key])


def text_by_render_mode(pdf: bytes, page_number: int = 0) -> dict[int, str]:
    """The text each render mode draws on a page, following q/Q and Tr in its content."""
    page = PdfReader(io.BytesIO(pdf)).pages[page_number]
    drawn: dict[int, list[str]] = {}
    state = {"mode": 0, "stack": []}

    def before(op, args, cm, tm):  # type: ignore[no-untyped-def]
        if op == b"q":
            state["stack"].append(state["mode"])
        elif op == b"Q":
            state["mode"] = state["stack"].pop() if state["stack"] else 0
        elif op == b"Tr":
            state["mode"] = int(args[0])
        elif op in (b"Tj", b"'", b'"', b"TJ"):
            items = args[0] if op == b"TJ" else args[-1:]
            # The overlay's Helvetica is a single-byte font: its bytes are its characters.
            words = "".join(
                bytes(i.original_bytes).decode("latin-1")
                for i in items
                if hasattr(i, "original_bytes")
            )
            drawn.setdefault(state["mode"], []).append(words)

    page.extract_text(visitor_operand_before=before)
    return {mode: " ".join(parts) for mode, parts in drawn.items()}


def render(pdf: bytes, scale: float = 2.0) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [np.asarray(page.render(scale=scale).to_pil().convert("RGB")) for page in doc]
    finally:
        doc.close()


# --- What each reader downloads -------------------------------------------------------------


def test_two_reviewers_get_copies_differing_in_canary_and_footer(client, canaries):
    world = canaries
    a_pdf = download(client, world, "R1-submitted")
    b_pdf = download(client, world, "R2-draft")
    a, b = copy_of(world, "R1-submitted"), copy_of(world, "R2-draft")
    assert a_pdf != b_pdf
    assert a.phrase != b.phrase and a.token != b.token
    # Both open in pypdf, with every page of the paper.
    assert len(PdfReader(io.BytesIO(a_pdf)).pages) == len(PdfReader(io.BytesIO(b_pdf)).pages) == 2
    a_text, b_text = flat(text_of(a_pdf)), flat(text_of(b_pdf))
    assert a_text.count("Review copy of #1 for Reviewer A, WSA, confidential") == 2
    assert b_text.count("Review copy of #1 for Reviewer B, WSA, confidential") == 2
    assert "Reviewer B" not in a_text and "Reviewer A" not in b_text
    assert f'phrase "{a.phrase}"' in a_text and b.phrase not in a_text
    assert f'phrase "{b.phrase}"' in b_text and a.phrase not in b_text
    # The fingerprint: the token in the information dictionary and in the text layer.
    assert PdfReader(io.BytesIO(a_pdf)).metadata["/ReviewCopy"] == a.token
    assert f"RC-{a.token}" in a_text.replace(" ", "")
    # The anonymised copy's protections hold: no author identity in the reviewer's copy.
    assert "ZQAUTHORNAME" not in a_text and b"ZQAUTHORNAME" not in a_pdf
    # The stored copy is what was served, and a second download serves it again, unmade.
    assert a.file.read() == a_pdf and a.sha256 and a.source_sha256 == world.p.paper.sha256
    made_at = a.made_at
    assert download(client, world, "R1-submitted") == a_pdf
    assert copy_of(world, "R1-submitted").made_at == made_at


def test_the_area_chair_gets_a_copy_and_a_chair_the_plain_anonymised_one(client, canaries):
    world = canaries
    ac_text = flat(text_of(download(client, world, "AC-of-P")))
    assert "Review copy of #1 for Area chair, WSA, confidential" in ac_text
    chair_pdf = download(client, world, "chair-A")
    assert chair_pdf == world.p.paper.reviewer_copy.open("rb").read()


def test_both_copies_open_in_pdftotext(client, canaries, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed on this machine")
    world = canaries
    for key, letter in (("R1-submitted", "A"), ("R2-draft", "B")):
        path = tmp_path / f"{key}.pdf"
        path.write_bytes(download(client, world, key))
        out = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert f"Review copy of #1 for Reviewer {letter}, WSA, confidential" in out
        assert canary.phrases_found(out, [copy_of(world, key).phrase])


def test_the_copies_also_read_in_pdfium(client, canaries):
    """Another engine's text layer (PDFium, Chrome's) holds the instruction too."""
    world = canaries
    pdf = download(client, world, "R1-submitted")
    doc = pdfium.PdfDocument(pdf)
    text = doc[0].get_textpage().get_text_range()
    doc.close()
    assert canary.phrases_found(text, [copy_of(world, "R1-submitted").phrase])


def test_the_canary_is_invisible_and_only_the_footer_band_changes(client, canaries):
    world = canaries
    pdf = download(client, world, "R1-submitted")
    phrase = copy_of(world, "R1-submitted").phrase
    for page in (0, 1):
        modes = text_by_render_mode(pdf, page)
        assert canary.phrases_found(modes[3], [phrase]), "the instruction is not in mode 3"
        visible = " ".join(text for mode, text in modes.items() if mode != 3)
        assert not canary.phrases_found(visible, [phrase])
        assert "Review copy of #1 for Reviewer A" in visible
    original = world.p.paper.reviewer_copy.open("rb").read()
    scale = 2.0
    band = int(canary.FOOTER_BAND * scale)
    for before, after in zip(render(original, scale), render(pdf, scale), strict=True):
        assert before.shape == after.shape
        assert np.array_equal(before[:-band], after[:-band]), "a mark shows above the footer"
        assert not np.array_equal(before[-band:], after[-band:]), "the footer does not show"
        # The footer is grey text, not a block: most of the band stays white.
        assert (after[-band:] < 200).mean() < 0.05


def test_the_authors_pdf_is_byte_identical_to_their_upload(client, canaries):
    world = canaries
    uploaded = p_pdf().read()
    download(client, world, "R1-submitted")
    download(client, world, "R2-draft")
    client.force_login(world.users["author-P"])
    response = client.get(reverse("submissions:paper", args=[world.p.pk]))
    assert response.status_code == 200
    served = b"".join(response.streaming_content)
    assert served == uploaded
    for copy in ReviewCopy.objects.all():
        assert copy.token.encode() not in served and copy.phrase.encode() not in served


def test_with_the_setting_off_reviewers_get_the_anonymised_copy(client, world):
    pdf = download(client, world, "R1-submitted")
    assert pdf == world.p.paper.reviewer_copy.open("rb").read()
    assert not ReviewCopy.objects.exists()
    assert review_copy_make(world.assignments["R1-submitted"].pk) == "off"


def test_a_new_pdf_makes_a_new_copy_with_the_same_canary(client, canaries):
    world = canaries
    first = download(client, world, "R1-submitted")
    before = copy_of(world, "R1-submitted")
    paper = world.p.paper
    paper.reviewer_copy.save("copy", io.BytesIO(_second_version()), save=False)
    paper.sha256 = "f" * 64
    paper.save(update_fields=["reviewer_copy", "sha256"])
    second = download(client, world, "R1-submitted")
    after = copy_of(world, "R1-submitted")
    assert second != first and "second version" in text_of(second)
    assert (after.phrase, after.token, after.pk) == (before.phrase, before.token, before.pk)
    assert after.source_sha256 == "f" * 64
    assert not after.file.storage.exists(before.file.name)


def _second_version() -> bytes:
    from tests.pdfs import make_pdf

    return make_pdf(pages=1, text="The second version of the paper.")


def test_phrases_of_one_paper_never_repeat():
    from reviews.services.copies import copy_phrase

    taken: list[str] = []
    for assignment_id in range(1, 200):
        taken.append(copy_phrase(assignment_id, taken))
    assert len(set(taken)) == len(taken)
    assert all(len(p.split()) == 2 for p in taken)


# --- Flags ----------------------------------------------------------------------------------


def test_close_variants_of_a_phrase_match_and_others_do_not():
    phrase = "quince lantern"
    for text in (
        "quince lantern",
        "The Quince-Lantern result",
        "QUINCE  LANTERN",
        "quince\nlantern",
        "quincelanterns are",
        "quince_lantern",
        "**quince** lantern",
    ):
        assert canary.phrases_found(text, [phrase]), text
    for text in ("quince", "a lantern", "quinces lantern", "marquince lantern", "quince lanterna"):
        assert not canary.phrases_found(text, [phrase]), text


def test_a_review_with_the_writers_own_phrase_is_flagged_as_theirs(client, canaries):
    world = canaries
    download(client, world, "R3-not-started")
    phrase = copy_of(world, "R3-not-started").phrase
    variant = phrase.title().replace(" ", "-")
    with TestCase.captureOnCommitCallbacks(execute=True):
        review = review_submit(
            assignment=world.assignments["R3-not-started"],
            user=world.users["R3-not-started"],
            answers=world.full_answers(Summary=f"A {variant} of a paper, well written."),
        )
    flag = ReviewFlag.objects.get(review=review)
    assert flag.kind == FlagKind.CANARY
    assert flag.copy_owner == world.users["R3-not-started"]
    assert flag.detail == {"phrase": phrase, "copy_of": "Reviewer C"}


def test_another_reviewers_phrase_is_flagged_as_a_copy_of_their_copy(client, canaries):
    world = canaries
    download(client, world, "R1-submitted")
    download(client, world, "R2-draft")
    phrase = copy_of(world, "R1-submitted").phrase
    review = review_save_draft(
        assignment=world.assignments["R2-draft"],
        user=world.users["R2-draft"],
        answers={world.q_id("Summary"): f"Notes. {phrase.upper()} appears here."},
    )
    flag = ReviewFlag.objects.get(review=review)
    assert flag.kind == FlagKind.CANARY_COPY
    assert flag.copy_owner == world.users["R1-submitted"]
    assert flag.detail["copy_of"] == "Reviewer A"
    # The reviewer's own phrase is not in it: no `canary` flag.
    assert not ReviewFlag.objects.filter(review=review, kind=FlagKind.CANARY).exists()


def test_a_comment_with_a_phrase_is_flagged(client, canaries):
    world = canaries
    download(client, world, "R1-submitted")
    phrase = copy_of(world, "R1-submitted").phrase
    with TestCase.captureOnCommitCallbacks(execute=True):
        comment = comment_post(
            submission=world.p, user=world.users["R1-submitted"], body=f"As I said: {phrase}."
        )
    flag = ReviewFlag.objects.get(comment=comment)
    assert (flag.kind, flag.copy_owner) == (FlagKind.CANARY, world.users["R1-submitted"])


def test_a_review_without_a_phrase_raises_no_canary_flag(client, canaries):
    world = canaries
    download(client, world, "R1-submitted")
    download(client, world, "R3-not-started")
    with TestCase.captureOnCommitCallbacks(execute=True):
        review = review_submit(
            assignment=world.assignments["R3-not-started"],
            user=world.users["R3-not-started"],
            answers=world.full_answers(Summary="A careful paper with a lantern and a quince."),
        )
    assert not ReviewFlag.objects.filter(
        review=review, kind__in=[FlagKind.CANARY, FlagKind.CANARY_COPY]
    ).exists()


def test_finding_phrases_costs_one_query_whatever_the_copies(
    client, canaries, django_assert_num_queries
):
    world = canaries
    for key in ("R1-submitted", "R2-draft", "R3-not-started", "AC-of-P"):
        download(client, world, key)
    submission = world.p
    texts = [copy_of(world, "R1-submitted").phrase, copy_of(world, "AC-of-P").phrase]
    with django_assert_num_queries(1):
        hits = canary_hits(submission=submission, writer_id=world.users["R2-draft"].pk, texts=texts)
    assert sorted(h.copy.assignment.display_name for h in hits) == ["Area chair", "Reviewer A"]
    assert not any(h.own for h in hits)
    Workshop.objects.filter(pk=world.workshop.pk).update(review_copy_canary=False)
    submission.workshop.refresh_from_db()
    with django_assert_num_queries(0):
        assert canary_hits(submission=submission, writer_id=1, texts=["anything"]) == []


# --- Tracing a leaked copy ------------------------------------------------------------------


def trace(path) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("copy_trace", str(path), stdout=out)
    return out.getvalue()


def test_copy_trace_names_the_reviewer_of_a_leaked_copy(client, canaries, tmp_path):
    world = canaries
    path = tmp_path / "leaked.pdf"
    path.write_bytes(download(client, world, "R2-draft"))
    out = trace(path)
    assert "Reviewer B of #1" in out and "WSA" in out
    assert "ZQREVIEWER2NAME" in out and "zqreviewer2@r2-lab.org" in out
    assert "metadata" in out
    assert "ZQREVIEWER1NAME" not in out


def test_copy_trace_without_the_metadata_uses_the_text_layer(client, canaries, tmp_path):
    """A re-saved copy that lost its information dictionary (what a PDF printer does) is
    still traced by the reference token and the phrase its text layer kept."""
    world = canaries
    leaked = PdfWriter(clone_from=PdfReader(io.BytesIO(download(client, world, "R2-draft"))))
    leaked.metadata = None
    buffer = io.BytesIO()
    leaked.write(buffer)
    assert PdfReader(io.BytesIO(buffer.getvalue())).metadata in (None, {})
    path = tmp_path / "printed.pdf"
    path.write_bytes(buffer.getvalue())
    out = trace(path)
    assert "Reviewer B of #1" in out and "text-layer reference" in out


@pytest.mark.parametrize(
    "device", [["-sDEVICE=pdfwrite"], ["-sDEVICE=pdfwrite", "-dPDFSETTINGS=/printer"]]
)
def test_copy_trace_names_the_reviewer_of_a_copy_printed_to_pdf_by_ghostscript(
    client, canaries, tmp_path, device
):
    """A real PDF printer: Ghostscript's pdfwrite (what "Print to PDF" uses on many
    systems) rewrites the whole file. Its metadata does not survive; the text layer does,
    invisible text included, so the reviewer is still named."""
    if shutil.which("gs") is None:
        pytest.skip("gs (ghostscript) is not installed on this machine")
    world = canaries
    leaked = tmp_path / "leaked.pdf"
    leaked.write_bytes(download(client, world, "R2-draft"))
    printed = tmp_path / "printed.pdf"
    subprocess.run(
        ["gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", *device, f"-sOutputFile={printed}",
         str(leaked)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert printed.read_bytes() != leaked.read_bytes()
    out = trace(printed)
    assert "Reviewer B of #1" in out and "ZQREVIEWER2NAME" in out
    assert "ZQREVIEWER1NAME" not in out


def test_copy_trace_of_a_pdf_that_is_no_copy_says_so(canaries, tmp_path):
    path = tmp_path / "other.pdf"
    path.write_bytes(p_pdf().read())
    out = trace(path)
    assert "No review copy" in out


def test_copy_trace_refuses_a_file_that_is_not_a_pdf(tmp_path):
    from django.core.management import CommandError

    path = tmp_path / "note.txt"
    path.write_text("hello")
    with pytest.raises(CommandError, match="not a PDF"):
        trace(path)


def test_the_flagged_reviewer_and_the_authors_read_nothing_of_the_flag(client, canaries):
    world = canaries
    download(client, world, "R3-not-started")
    phrase = copy_of(world, "R3-not-started").phrase
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(
            assignment=world.assignments["R3-not-started"],
            user=world.users["R3-not-started"],
            answers=world.full_answers(Summary=f"Fine work; {phrase}."),
        )
    assert ReviewFlag.objects.filter(kind=FlagKind.CANARY).count() == 1
    Workshop.objects.filter(pk=world.workshop.pk).update(reviews_released=True)
    pages = {
        "R3-not-started": reverse("reviews:paper", args=[world.workshop.slug, world.p.number]),
        "author-P": reverse("submissions:detail", args=[world.p.pk]),
    }
    for key, url in pages.items():
        client.force_login(world.users[key])
        response = client.get(url)
        assert response.status_code == 200, key
        body = response.content.decode().lower()
        for marker in ("canary", "flagged", "copy_of", FlagKind.CANARY.label.lower()):
            assert marker not in body, (key, marker)


def test_a_turned_page_gets_its_footer_at_the_bottom_as_shown():
    from tests.pdfs import make_pdf, modify_pdf

    turned = modify_pdf(make_pdf(pages=1), lambda writer: writer.pages[0].rotate(90))
    marks = canary.Marks(footer="Review copy of #3 for Reviewer A, X, confidential",
                         phrase="quince lantern", token="0" * canary.TOKEN_LENGTH)  # fmt: skip
    scale = 2.0
    before, after = render(turned, scale)[0], render(canary.stamp(turned, marks), scale)[0]
    assert before.shape[1] > before.shape[0]  # shown in landscape
    band = int(canary.FOOTER_BAND * scale)
    assert np.array_equal(before[:-band], after[:-band])
    assert not np.array_equal(before[-band:], after[-band:])


def test_a_pdf_that_cannot_be_rewritten_is_never_served_unmarked(client, canaries):
    world = canaries
    paper = world.p.paper
    paper.reviewer_copy.save("copy", io.BytesIO(b"%PDF-1.4 not really a pdf"), save=False)
    paper.save(update_fields=["reviewer_copy"])
    client.force_login(world.users["R1-submitted"])
    url = reverse("reviews:paper_pdf", args=[world.workshop.slug, world.p.number])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.get(url)
    assert response.status_code == 503
    assert "being prepared" in response.content.decode()
    assert review_copy_make(world.assignments["R1-submitted"].pk) == "failed"
    assert not ReviewCopy.objects.exclude(file="").exists()


def test_copy_trace_by_the_visible_footer_when_the_hidden_text_is_gone(client, canaries, tmp_path):
    """A printer that redraws only what is painted drops the invisible instruction and the
    metadata; the footer, kept as text, still names the copy."""
    world = canaries
    download(client, world, "R2-draft")

    def printed(canvas, number):  # type: ignore[no-untyped-def]
        canvas.setFont("Helvetica", 11)
        canvas.drawString(72, 700, "A study of things.")
        canvas.setFont("Helvetica", 7)
        canvas.drawString(150, 6, "Review copy of #1 for Reviewer B, WSA, confidential")

    from tests.pdfs import canvas_pdf

    path = tmp_path / "redrawn.pdf"
    path.write_bytes(canvas_pdf(printed, pages=2))
    out = trace(path)
    assert "Reviewer B of #1" in out and "visible footer" in out
    assert "ZQREVIEWER2NAME" in out and "ZQREVIEWER1NAME" not in out


def test_opening_the_papers_page_has_the_copy_made_before_the_download(client, canaries):
    world = canaries
    client.force_login(world.users["R3-not-started"])
    url = reverse("reviews:paper", args=[world.workshop.slug, world.p.number])
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.get(url).status_code == 200
    made = copy_of(world, "R3-not-started")
    assert made.file and made.source_sha256 == world.p.paper.sha256
    client.force_login(world.users["chair-A"])
    assert client.get(url).status_code == 200
    assert ReviewCopy.objects.count() == 1  # a chair with no assignment gets no copy


def test_the_chairs_turn_canaries_on_and_the_call_page_says_so(client, world):
    call = reverse("workshop:detail", args=[world.workshop.slug])
    assert "Review copies carry hidden markers" not in client.get(call).content.decode()
    client.force_login(world.users["chair-A"])
    change = reverse("admin:workshop_workshop_change", args=[world.workshop.pk])
    page = client.get(change)
    assert "Canaries in review copies" in page.content.decode()
    data = form_data(page)
    data["review_copy_canary"] = "on"
    response = client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    world.workshop.refresh_from_db()
    assert world.workshop.review_copy_canary
    client.logout()
    assert "Review copies carry hidden markers" in client.get(call).content.decode()
    # Through the API: the chairs write it, a reviewer reads it and cannot change it.
    api = reverse("api:workshop", args=[world.workshop.slug])
    client.force_login(world.users["R1-submitted"])
    assert client.get(api).json()["review_copy_canary"] is True
    refused = client.patch(api, data=json.dumps({"review_copy_canary": False}),
                           content_type="application/json")  # fmt: skip
    assert refused.status_code in (403, 404)
    client.force_login(world.users["chair-A"])
    patched = client.patch(api, data=json.dumps({"review_copy_canary": False}),
                           content_type="application/json")  # fmt: skip
    assert patched.status_code == 200, patched.content
    world.workshop.refresh_from_db()
    assert not world.workshop.review_copy_canary
