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

# (submitter, co-author or None, title, abstract, primary topic, secondary topics, keywords)
PAPERS = (
    (
        "author1@example.org",
        "author3@example.org",
        "Reproducible LLM-as-a-judge evaluation with open models",
        "We show that judging with an open model at temperature $T=0$ and fixed seeds makes "
        "pairwise evaluations reproducible, and measure agreement with humans ($\\kappa = 0.71$).",
        "Evaluation",
        ["Community"],
        "evaluation, LLM-as-a-judge, reproducibility",
    ),
    (
        "author2@example.org",
        "author3@example.org",
        "Distilling a 7B model into 300M parameters for phones",
        "A distillation recipe for small on-device models that keeps $94\\%$ of the teacher's "
        "accuracy on open benchmarks, with all data and weights released.",
        "Scale",
        ["Algorithms"],
        "distillation, on-device, quantisation",
    ),
    (
        "author3@example.org",
        None,
        "Data cards for open pre-training corpora",
        "We propose a lightweight, machine-readable data card for open pre-training corpora and "
        "audit twelve public datasets against it.",
        "Data",
        ["Transparency and safety"],
        "datasets, documentation, licensing",
    ),
)
MORE_PAPERS = (
    ("author1@example.org", "reviewer1@example.org",
     "Preference optimisation without a reward model at 1B scale",
     "Direct preference optimisation on small open models: when it helps, when it collapses, "
     "and a regulariser that keeps the KL divergence below $0.1$ nats.",
     "Algorithms", ["Scale"], "DPO, alignment, small models"),
    ("author2@example.org", None, "Contamination audits for open benchmarks",
     "We detect benchmark contamination in open pre-training corpora with n-gram overlap and "
     "membership inference, and release clean splits.",
     "Evaluation", ["Data"], "contamination, benchmarks, memorisation"),
    ("author3@example.org", None, "Red-teaming open chat models with a community",
     "A distributed red-teaming effort with 300 volunteers, its protocol, its findings, and "
     "the refusal fine-tuning it enabled.",
     "Transparency and safety", ["Community"], "red-teaming, safety, refusals"),
    ("author1@example.org", None, "Deduplication at the petabyte scale on a budget",
     "MinHash-LSH deduplication of 2 PB of web text on a 16-node cluster, with an ablation of "
     "its effect on downstream perplexity.",
     "Data", ["Scale"], "deduplication, MinHash, pre-training data"),
    ("author2@example.org", None, "Four-bit inference on a Raspberry Pi",
     "Quantising a 1B model to 4 bits with outlier-aware rounding gives 12 tokens per second "
     "on a Raspberry Pi 5 with a perplexity loss below $3\\%$.",
     "Scale", [], "quantisation, edge inference, llama.cpp"),
    ("author3@example.org", "author1@example.org", "Governance of open model hubs",
     "How model hubs decide what to host: an interview study with maintainers, and a proposal "
     "for transparent moderation logs.",
     "Community", ["Transparency and safety"], "governance, model hubs, moderation"),
    ("author1@example.org", None, "Merging fine-tuned experts without retraining",
     "Task-vector merging of eight fine-tuned open models into one, with interference "
     "measured per layer.",
     "Community", ["Algorithms"], "model merging, task vectors, modularity"),
    ("author2@example.org", None, "Interpretable refusal directions in open models",
     "A single direction in the residual stream mediates refusals across five open model "
     "families; we show how to audit it.",
     "Transparency and safety", ["Algorithms"], "interpretability, refusal, steering"),
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


def seed_submissions(workshop: Workshop, papers=PAPERS) -> None:
    """Types and submitted demo papers (idempotent: skipped when the workshop has papers)."""
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
    for email, coauthor, title, abstract, primary, secondary, keywords in papers:
        author = User.objects.get(email=email)
        # The deep check runs after commit; in the demo it should run right away.
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
            entries = [AuthorEntry(author.name, email, author.affiliation, True)]
            if coauthor:
                other = User.objects.get(email=coauthor)
                entries.append(AuthorEntry(other.name, coauthor, other.affiliation, False))
            authors_replace(submission=submission, user=author, entries=entries)
            upload = SimpleUploadedFile("paper.pdf", demo_pdf(title), "application/pdf")
            submission_file_upload(submission=submission, user=author, kind="paper", upload=upload)
            submission_submit(submission=submission, user=author)
