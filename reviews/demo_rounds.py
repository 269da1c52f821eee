"""The demo's second review round (issue 27, part 2): in the workshop under review, paper
#1 is sent to "Second round" with a "Revise and resubmit" category, its authors upload a
revised PDF, its reviewers are assigned again, and a response round is open to the papers
of round 2. Called by `manage.py seed_demo`; idempotent."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from submissions.models import Submission
from workshop.demo import IN_REVIEW
from workshop.models import User, Workshop

from .models import DecisionCategory, Outcome, PaperRound
from .services.decisions import default_categories_create
from .services.rounds import (
    paper_revision_upload,
    paper_round_send,
    response_round_save,
    review_round_create,
    round_reviewers_assign,
)

DAY = dt.timedelta(days=1)
REVISED_TEXT = "Revised after the first round: two more baselines and an ablation study."


def _revised_pdf(title: str) -> bytes:
    """`submissions.demo.demo_pdf`'s layout, with two lines of page 2 rewritten."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for page in range(1, 5):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 770, title[:70])
        c.setFont("Helvetica", 11)
        c.drawString(72, 745, "Anonymous authors")
        for line in range(30):
            text = f"Section {page}.{line + 1}: results and discussion."
            if page == 2 and line in (3, 4):
                text = REVISED_TEXT
            c.drawString(72, 700 - 18 * line, text)
        c.showPage()
    c.save()
    return buffer.getvalue()


def seed_second_round() -> str:
    """Round 2 in the workshop under review; returns the line the demo prints."""
    workshop = Workshop.objects.filter(slug=IN_REVIEW.slug).first()
    if workshop is None:
        return ""
    line = f"{workshop.short_name}: paper #1 is in its second review round (revise and resubmit)"
    if PaperRound.objects.filter(submission__workshop=workshop).exists():
        return line
    chair = User.objects.get(email="chair@example.org")
    paper = Submission.objects.filter(workshop=workshop).order_by("number").first()
    if paper is None:
        return ""
    now = timezone.now().replace(microsecond=0)
    second = review_round_create(
        workshop=workshop,
        chair=chair,
        name="Second round",
        review_deadline=workshop.review_deadline + 21 * DAY,
        resubmission_deadline=now + 7 * DAY,
    )
    default_categories_create(workshop)  # the usual ones first, as the desk would make them
    category, _ = DecisionCategory.objects.get_or_create(
        workshop=workshop,
        name="Revise and resubmit",
        defaults={"outcome": Outcome.REJECT, "revise_round": second, "order": 90},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        paper_round_send(submission=paper, category=category, chair=chair)
        contact = paper.authors.filter(is_contact=True).first()
        author = User.objects.get(email=contact.email)
        upload = SimpleUploadedFile("revised.pdf", _revised_pdf(paper.title), "application/pdf")
        paper_revision_upload(submission=paper, user=author, upload=upload)
        round_reviewers_assign(submission=paper, chair=chair)
    response_round_save(
        workshop=workshop, chair=chair, name="Response to the second round",
        opens=second.review_deadline, closes=second.review_deadline + 4 * DAY,
        words_soft=500, words_hard=800, condition="round:2",
    )  # fmt: skip
    return line
