"""Exports to other systems' formats, so a workshop can leave as easily as it came.

`hotcrp_export` writes a zip in HotCRP's own shapes: `papers.json` (HotCRP's paper JSON:
`given_name`/`family_name`, `contacts`, `pc_conflicts`, the decision by name),
`reviews.json` (the API's `{"ok": true, "reviews": [...]}`, fields under the form's
labels), `settings.json` (the review form as HotCRP's settings JSON: names, visibility and,
for a 1..n score, its values) and `pc.csv` (HotCRP's "PC info" CSV with `topic:` columns).
The `hotcrp-papers` importer takes the whole zip back in one run.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from reviews.models import (
    Assignment,
    ConflictOverride,
    Decision,
    QuestionKind,
    Review,
    ReviewerProfile,
    ReviewQuestion,
    ReviewStatus,
)
from submissions.models import Submission, SubmissionStatus
from workshop.csvexport import csv_write
from workshop.models import Membership, Role, Workshop

from .archive import archive_export
from .report import Progress
from .writers.easychair import easychair_export
from .writers.openreview import openreview_export

# Our readers of a question, in HotCRP's words.
VISIBILITY = {"authors": "au", "committee": "re", "chairs": "admin"}
ROLES = {Role.CHAIR: "chair", Role.AREA_CHAIR: "pc metareviewer", Role.REVIEWER: "pc"}
LEVELS = {"expert": 2, "knowledgeable": 1}


def _split(name: str) -> tuple[str, str]:
    """(given, family) as HotCRP keeps them; joined with a space they give `name` back."""
    given, _, family = name.strip().rpartition(" ")
    return (given, family) if given else (family, "")


def _person(name: str, email: str, affiliation: str) -> dict[str, Any]:
    given, family = _split(name)
    person: dict[str, Any] = {"given_name": given, "family_name": family}
    if email:
        person["email"] = email
    if affiliation:
        person["affiliation"] = affiliation
    return person


def _papers(workshop: Workshop) -> list[dict[str, Any]]:
    decisions = {
        d.submission_id: d.category.name
        for d in Decision.objects.filter(submission__workshop=workshop).select_related("category")
    }
    conflicts: dict[int, dict[str, str]] = {}
    for sid, email in ConflictOverride.objects.filter(
        submission__workshop=workshop, conflicted=True
    ).values_list("submission_id", "user__email"):
        conflicts.setdefault(sid, {})[email.lower()] = "conflict"
    papers = []
    for paper in (
        Submission.objects.filter(workshop=workshop)
        .select_related("primary_topic")
        .prefetch_related("authors", "secondary_topics")
        .order_by("number")
    ):
        authors = list(paper.authors.all())
        topics = [paper.primary_topic.name] if paper.primary_topic else []
        topics += [t.name for t in paper.secondary_topics.all()]
        item: dict[str, Any] = {
            "object": "paper",
            "pid": paper.number,
            "title": paper.title,
            "abstract": paper.abstract,
            "authors": [_person(a.name, a.email, a.affiliation) for a in authors],
            "contacts": [
                _person(a.name, a.email, a.affiliation) for a in authors if a.is_contact and a.email
            ],
            "topics": topics,
            "pc_conflicts": conflicts.get(paper.pk, {}),
            "status": paper.status,
            "submitted": paper.status != SubmissionStatus.DRAFT,
            "withdrawn": paper.status == SubmissionStatus.WITHDRAWN,
        }
        if paper.keywords:
            item["options"] = {"keywords": paper.keywords}
        if paper.submitted_at:
            item["submitted_at"] = int(paper.submitted_at.timestamp())
        if paper.pk in decisions:
            item["decision"] = decisions[paper.pk]
        papers.append(item)
    return papers


def _form(workshop: Workshop) -> tuple[list[ReviewQuestion], dict[str, Any]]:
    questions = list(ReviewQuestion.objects.filter(workshop=workshop).order_by("order", "pk"))
    fields = []
    for q in questions:
        field: dict[str, Any] = {
            "id": f"q{q.pk}",
            "name": q.label,
            "order": q.order,
            "visibility": VISIBILITY.get(q.visibility, "admin"),
            "required": q.required,
            "type": {QuestionKind.TEXT: "text", QuestionKind.CHECKBOX: "checkbox"}.get(
                q.kind, "radio"
            ),
        }
        scores = sorted(q.score_labels()) if q.kind == QuestionKind.SCORE else []
        if scores and scores == list(range(1, len(scores) + 1)):
            labels = q.score_labels()
            field["values"] = [labels[v] for v in scores]  # HotCRP's scale is 1..n
        fields.append(field)
    return questions, {"rf": fields}


def _reviews(workshop: Workshop, questions: list[ReviewQuestion]) -> dict[str, Any]:
    labels = {q.pk: q.label for q in questions}
    reviews = []
    for review in (
        Review.objects.filter(assignment__submission__workshop=workshop)
        .select_related("assignment__submission", "assignment__reviewer")
        .prefetch_related("answers")
        .order_by("assignment__submission__number", "assignment__pseudonym", "pk")
    ):
        a: Assignment = review.assignment
        submitted = review.status == ReviewStatus.SUBMITTED
        item: dict[str, Any] = {
            "object": "review",
            "pid": a.submission.number,
            "rid": review.pk,
            "status": "complete" if submitted else "draft",
            "reviewer": a.reviewer.name,
            "reviewer_email": a.reviewer.email,
        }
        if a.pseudonym:
            item["ordinal"] = a.pseudonym
        if submitted and review.submitted_at:
            item["submitted_at"] = int(review.submitted_at.timestamp())
        for answer in review.answers.all():
            if answer.value not in (None, ""):
                item[labels[answer.question_id]] = answer.value
        reviews.append(item)
    return {"ok": True, "reviews": reviews}


def _pc(workshop: Workshop) -> bytes:
    roles: dict[int, set[str]] = {}
    people = {}
    for m in Membership.objects.filter(workshop=workshop).select_related("user"):
        roles.setdefault(m.user_id, set()).update(ROLES[m.role].split())
        people[m.user_id] = m.user
    topics = list(workshop.topics.order_by("name").values_list("name", flat=True))
    levels: dict[int, dict[str, int]] = {}
    for profile in ReviewerProfile.objects.filter(workshop=workshop).prefetch_related(
        "topics__topic"
    ):
        levels[profile.user_id] = {
            e.topic.name: LEVELS.get(e.level, 0) for e in profile.topics.all()
        }
    header = ["given_name", "family_name", "email", "affiliation", "roles"]
    header += [f"topic: {t}" for t in topics]
    rows = []
    for uid, user in sorted(people.items(), key=lambda pair: pair[1].email):
        given, family = _split(user.name or user.email)
        order = ["chair", "pc", "metareviewer"]
        rows.append(
            [
                given,
                family,
                user.email,
                user.affiliation,
                " ".join(r for r in order if r in roles[uid]),
            ]
            + [levels.get(uid, {}).get(t, "") for t in topics]
        )
    stream = io.StringIO()
    csv_write(stream, header, rows)
    return stream.getvalue().encode()


def hotcrp_export(*, workshop: Workshop, progress: Progress | None = None) -> bytes:
    """The workshop in HotCRP's shapes (see the module). Reads only."""
    questions, settings = _form(workshop)
    files = {
        "papers.json": json.dumps(_papers(workshop), indent=1, ensure_ascii=False),
        "reviews.json": json.dumps(_reviews(workshop, questions), indent=1, ensure_ascii=False),
        "settings.json": json.dumps(settings, indent=1, ensure_ascii=False),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode())
        archive.writestr("pc.csv", _pc(workshop))
    if progress:
        progress(1, 1)
    return buffer.getvalue()


Exporter = Callable[..., bytes]
# name -> (label, exporter, file name suffix)
EXPORTS: dict[str, tuple[str, Exporter, str]] = {
    "archive": ("Our own archive (every row and file, signed)", archive_export, "archive.zip"),
    "hotcrp": (
        "HotCRP: paper JSON, review JSON with the form's settings, PC info CSV (zip)",
        hotcrp_export,
        "hotcrp.zip",
    ),
    "openreview": (
        "OpenReview: API v2 notes and committee groups, as openreview-py's to_json writes "
        "them (JSON)",
        openreview_export,
        "openreview.json",
    ),
    "easychair": (
        "EasyChair: submission, author, committee, review, topic and bidding CSVs (zip)",
        easychair_export,
        "easychair.zip",
    ),
}


def export_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _, _) in EXPORTS.items()]


def export_download(job: Any) -> Any:
    """The finished export job's file as a download, named by its workshop and format
    (`slug-openreview.json`, `slug-easychair.zip`, ...), for the admin and the API alike:
    never sniffed, never cached (it holds the workshop's reviews)."""
    from django.http import FileResponse

    suffix = EXPORTS.get(job.format, EXPORTS["archive"])[2]
    response = FileResponse(
        job.result.open("rb"),
        as_attachment=True,
        filename=f"{job.workshop.slug}-{suffix}",
        content_type="application/json" if suffix.endswith(".json") else "application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
