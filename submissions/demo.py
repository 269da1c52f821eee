"""Demo data of the submissions app: submission types and a few submitted papers."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from workshop.models import Topic, User, Workshop

from .models import Submission, SubmissionType
from .services import submission_create, submission_file_upload, submission_submit
from .services.authors import AuthorEntry, authors_replace

TYPES = (("Full paper", 8, 9, "Up to 8 pages including references"),
         ("Short paper", 4, 5, "Up to 4 pages including references"))  # fmt: skip

PAPERS = (
    ("author1@example.org", "Reproducible LLM-as-a-judge evaluation with open models",
     "We show that judging with an open model at temperature $T=0$ and fixed seeds makes "
     "pairwise evaluations reproducible, and measure agreement with humans ($\\kappa = 0.71$).",
     "Evaluation", ["Community"], "evaluation, LLM-as-a-judge, reproducibility"),
    ("author2@example.org", "Distilling a 7B model into 300M parameters for phones",
     "A distillation recipe for small on-device models that keeps $94\\%$ of the teacher's "
     "accuracy on open benchmarks, with all data and weights released.",
     "Scale", ["Algorithms"], "distillation, on-device, quantisation"),
    ("author3@example.org", "Data cards for open pre-training corpora",
     "We propose a lightweight, machine-readable data card for open pre-training corpora and "
     "audit twelve public datasets against it.",
     "Data", ["Transparency and safety"], "datasets, documentation, licensing"),
)  # fmt: skip


def demo_pdf(title: str, pages: int = 4) -> bytes:
    """A small anonymous paper-like PDF (reportlab)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    for page in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 16)
        c.drawString(72, 770, title[:70])
        c.setFont("Helvetica", 11)
        c.drawString(72, 745, "Anonymous authors")
        for line in range(30):
            c.drawString(72, 700 - 18 * line, f"Section {page}.{line + 1}: results and discussion.")
        c.showPage()
    c.save()
    return buffer.getvalue()


def seed_submissions(workshop: Workshop) -> None:
    """Types and three submitted demo papers (idempotent: skipped when papers exist)."""
    for order, (name, limit, cr_limit, description) in enumerate(TYPES, start=1):
        SubmissionType.objects.get_or_create(
            workshop=workshop,
            name=name,
            defaults={"page_limit": limit, "camera_ready_page_limit": cr_limit,
                      "description": description, "order": order},
        )  # fmt: skip
    if Submission.objects.filter(workshop=workshop).exists():
        return
    full = SubmissionType.objects.get(workshop=workshop, name="Full paper")
    topics = {t.name: t for t in Topic.objects.filter(workshop=workshop)}
    for email, title, abstract, primary, secondary, keywords in PAPERS:
        author = User.objects.get(email=email)
        # The deep check runs after commit; in the demo we want it to run right away.
        with TestCase.captureOnCommitCallbacks(execute=True):
            submission = submission_create(
                workshop=workshop,
                user=author,
                title=title,
                abstract=abstract,
                keywords=keywords,
                submission_type=full,
                primary_topic=topics[primary],
                secondary_topics=[topics[s] for s in secondary],
            )
            coauthor = "author3@example.org" if email != "author3@example.org" else None
            entries = [AuthorEntry(author.name, email, author.affiliation, True)]
            if coauthor:
                other = User.objects.get(email=coauthor)
                entries.append(AuthorEntry(other.name, coauthor, other.affiliation, False))
            authors_replace(submission=submission, user=author, entries=entries)
            upload = SimpleUploadedFile("paper.pdf", demo_pdf(title), "application/pdf")
            submission_file_upload(submission=submission, user=author, kind="paper", upload=upload)
            submission_submit(submission=submission, user=author)
