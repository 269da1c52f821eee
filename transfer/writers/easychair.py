"""The workshop as EasyChair's "conference data" CSV files, in the layout EasyChair's own
download has (see tests/data/transfer/real/easychair/README.md): submission.csv,
author.csv, committee.csv, committee_topic.csv, topics.csv, submission_topic.csv,
bidding.csv, review.csv and metareview.csv, zipped. A review keeps its scores in one
`scores` cell, a line per question ("Overall recommendation: 4"), and its text answers in
one `text` cell, each after its label in capitals and brackets; the answers only the
committee or the chairs read are marked "(CONFIDENTIAL …)" and come last, so that
EasyChair's readers, and ours, keep them from the authors. The `easychair` import takes
the zip back.

EasyChair has no place for drafts (papers or reviews), conflicts set by the chairs, or who
of several reviewers on a paper is which pseudonym: those are left out. Every cell goes
through `csv_write` (a cell that a spreadsheet would take for a formula is neutralised)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from reviews.models import BidValue, QuestionKind, QuestionVisibility
from submissions.models import SubmissionStatus
from workshop.csvexport import csv_write
from workshop.models import Role, Workshop

from ..report import Progress
from .common import Snapshot, snapshot

ROLES = {Role.REVIEWER: "PC member", Role.AREA_CHAIR: "senior PC member", Role.CHAIR: "chair"}
BIDS = {
    BidValue.EAGER: "yes",
    BidValue.WILLING: "maybe",
    BidValue.NOT_WILLING: "no",
    BidValue.CONFLICT: "conflict",
}
REVIEW_HEADER = [
    "#", "submission #", "member #", "member name", "number", "version", "text", "scores",
    "total score", "reviewer first name", "reviewer last name", "reviewer email",
    "reviewer person #", "date", "time", "attachment?",
]  # fmt: skip


def _csv(header: Sequence[str], rows: list[list[object]]) -> bytes:
    stream = io.StringIO(newline="")
    csv_write(stream, header, rows)
    return stream.getvalue().replace("\r\n", "\n").encode()


def _names(name: str) -> tuple[str, str]:
    first, _, last = name.strip().rpartition(" ")
    return (first, last) if first else ("", last)


def _and(names: list[str]) -> str:
    """EasyChair's list of authors: "A, B and C"."""
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _section(label: str, visibility: str) -> str:
    title = label.upper()
    if visibility != QuestionVisibility.AUTHORS and "CONFIDENTIAL" not in title:
        title = f"CONFIDENTIAL {title}"
    return f"({title})"


def easychair_files(snap: Snapshot) -> dict[str, bytes]:
    papers = [p for p in snap.papers if p.status != SubmissionStatus.DRAFT]
    yes_no = {True: "yes", False: "no"}
    submission_rows, author_rows, topic_rows = [], [], []
    people: dict[str, int] = {}
    for paper in papers:
        authors = list(paper.authors.all())
        decision = snap.decisions.get(paper.pk)
        withdrawn = paper.status == SubmissionStatus.WITHDRAWN
        names = [a.name or a.email for a in authors]
        submission_rows.append([
            paper.number, paper.title,
            _and(names),
            paper.submitted_at.strftime("%Y-%m-%d %H:%M") if paper.submitted_at else "",
            paper.updated_at.strftime("%Y-%m-%d %H:%M"),
            "", "\n".join(k.strip() for k in paper.keywords.split(",") if k.strip()),
            "withdrawn" if withdrawn else decision.category.name if decision else "no decision",
            "no", "no", paper.abstract, "no",
        ])  # fmt: skip
        for author in authors:
            first, last = _names(author.name)
            key = author.email.lower() or author.name
            person = people.setdefault(key, len(people) + 1)
            author_rows.append([
                paper.number, first, last, author.email, "", author.affiliation, "", person,
                yes_no[author.is_contact],
            ])  # fmt: skip
        topic_rows += [[paper.number, name] for name in snap.topics.get(paper.pk, [])]
    member_number: dict[tuple[int, str], int] = {}
    committee_rows, committee_topic_rows = [], []
    for index, m in enumerate(snap.members, start=1):
        member_number[(m.user_id, m.role)] = index
        first, last = _names(m.user.name or m.user.email)
        person = people.setdefault(m.user.email.lower(), len(people) + 1)
        committee_rows.append([
            index, person, first, last, m.user.email, "", m.user.affiliation, "",
            ROLES[Role(m.role)],
        ])  # fmt: skip
        if m.role != Role.CHAIR:
            committee_topic_rows += [
                [index, m.user.name, t] for t in snap.expertise.get(m.user_id, [])
            ]
    by_user: dict[int, int] = {}
    for (uid, role), index in member_number.items():
        if role != Role.CHAIR or uid not in by_user:
            by_user[uid] = index
    number_of = {p.pk: p.number for p in papers}
    bidding_rows = [
        [by_user[uid], "", number_of[pid], BIDS[value]]
        for pid, uid, value in snap.bids
        if uid in by_user and pid in number_of and value in BIDS
    ]
    review_rows = []
    questions = {q.pk: q for q in snap.questions}
    for review in snap.reviews:
        a = review.assignment
        if a.submission_id not in number_of:
            continue
        answers = snap.answers(review)
        scores = [
            f"{questions[q].label}: {v}"
            for q, v in answers.items()
            if questions[q].kind == QuestionKind.SCORE
        ]
        # What the authors read first: after a confidential title, EasyChair's readers
        # (and ours) take every field as confidential.
        texts = [
            f"{_section(questions[q].label, questions[q].visibility)}\n{v}"
            for q, v in sorted(
                answers.items(),
                key=lambda pair: questions[pair[0]].visibility != QuestionVisibility.AUTHORS,
            )
            if questions[q].kind != QuestionKind.SCORE
        ]
        overall = next((v for q, v in answers.items() if questions[q].is_recommendation), "")
        when = review.submitted_at
        review_rows.append([
            review.pk, number_of[a.submission_id], by_user.get(a.reviewer_id, ""),
            a.reviewer.name or a.reviewer.email, a.pseudonym, review.revision,
            "\n\n".join(texts), "\n".join(scores), overall, "", "", "", "",
            when.strftime("%Y-%m-%d") if when else "", when.strftime("%H:%M") if when else "",
            "no",
        ])  # fmt: skip
    metareview_rows = [
        [
            number_of[pid], by_user.get(meta.author_id, ""), meta.author.name,
            meta.get_recommendation_display().lower(), meta.text, "",
            meta.updated_at.strftime("%Y-%m-%d"), meta.updated_at.strftime("%H:%M"),
        ]
        for pid, meta in snap.meta_reviews.items()
        if pid in number_of
    ]  # fmt: skip
    topics = sorted(snap.workshop.topics.values_list("name", flat=True))
    return {
        "submission.csv": _csv(
            [
                "#",
                "title",
                "authors",
                "submitted",
                "last updated",
                "form fields",
                "keywords",
                "decision",
                "notified",
                "reviews sent",
                "abstract",
                "deleted?",
            ],
            submission_rows,
        ),
        "author.csv": _csv(
            [
                "submission #",
                "first name",
                "last name",
                "email",
                "country",
                "affiliation",
                "Web page",
                "person #",
                "corresponding?",
            ],
            author_rows,
        ),
        "committee.csv": _csv(
            [
                "#",
                "person #",
                "first name",
                "last name",
                "email",
                "country",
                "affiliation",
                "Web page",
                "role",
            ],
            committee_rows,
        ),
        "committee_topic.csv": _csv(["member #", "member name", "topic"], committee_topic_rows),
        "topics.csv": _csv(["topic", "header?"], [[t, "no"] for t in topics]),
        "submission_topic.csv": _csv(["submission #", "topic"], topic_rows),
        "bidding.csv": _csv(["member #", "member name", "submission #", "bid"], bidding_rows),
        "review.csv": _csv(REVIEW_HEADER, review_rows),
        "metareview.csv": _csv(
            [
                "submission #",
                "member #",
                "member name",
                "recommendation",
                "text",
                "PC-only part",
                "date",
                "time",
            ],
            sorted(metareview_rows),
        ),
    }


def easychair_export(*, workshop: Workshop, progress: Progress | None = None) -> bytes:
    """The workshop as EasyChair's CSV files, zipped (see the module); the same workshop
    gives the same bytes. Reads only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in easychair_files(snapshot(workshop)).items():
            # A fixed time in each entry: the same workshop gives the same bytes.
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    if progress:
        progress(1, 1)
    return buffer.getvalue()
