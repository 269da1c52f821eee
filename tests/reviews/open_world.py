"""The open-reviewing world, shared by the open reviewing tests, the feed's sanitising tests
and the public forum's browser test. Workshop OW with:

* ACC (#1, accepted): authors ZQACCAUTHOR (zqaccauthor@acc.example.net, ZQACCAFFIL);
  reviews by R1 (Reviewer A, unsigned: ZQR1SUMMARY, chairs-only ZQCONFIDENTIAL, a
  committee-only confidence), R2 (Reviewer B, signed: ZQR2SUMMARY) and R3 (Reviewer C, a
  draft: ZQDRAFTTEXT); a meta-review (ZQMETATEXT) by the area chair; the authors' response
  (ZQRESPONSE); discussion notes for the committee (ZQCOMMITTEENOTE) and for the chairs
  (ZQCHAIRSONLYNOTE); public comments approved (ZQAPPROVEDCOMMENT), held (ZQHELDCOMMENT)
  and rejected (ZQREJECTEDCOMMENT); a camera-ready file.
* REJ (#2, rejected): authors ZQREJAUTHOR; R1's unsigned review ZQREJREVIEW.
* WD (#3, withdrawn after review): ZQWDTITLE; R1's review ZQWDREVIEW.

Every committee member's name and email carry a ZQ marker; only R2's name (ZQR2NAME, who
signed) may ever appear publicly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from reviews.models import (
    Answer,
    Assignment,
    AuthorResponse,
    Comment,
    Decision,
    DecisionCategory,
    MetaReview,
    Outcome,
    PublicComment,
    PublicCommentStatus,
    Review,
    ReviewQuestion,
    ReviewStatus,
)
from reviews.models.reviewing import CommentAudience
from reviews.services.reviewing import DEFAULT_FORM
from submissions.models import Authorship, FileKind, Submission, SubmissionFile, SubmissionStatus
from tests.factories import UserFactory, WorkshopFactory
from workshop.models import Membership, Role, User, Workshop

# --- Markers ---------------------------------------------------------------------------------
ACC_AUTHOR = ("ZQACCAUTHOR", "zqaccauthor@acc.example.net", "ZQACCAFFIL")


REJ_AUTHOR = ("ZQREJAUTHOR", "zqrejauthor@rej.example.net", "ZQREJAFFIL")


@dataclass
class World:
    workshop: Workshop
    other: Workshop
    acc: Submission
    rej: Submission
    wd: Submission
    users: dict[str, int]
    held: int
    rejected: int


def add_person(key: str, **kw: Any) -> User:
    return UserFactory(
        name=f"ZQ{key.upper()}NAME", email=f"zq{key.lower()}@people.example.org", **kw
    )


def add_member(workshop: Workshop, user: User, role: str) -> None:
    Membership.objects.create(workshop=workshop, user=user, role=role)
    if role == Role.CHAIR:
        User.objects.filter(pk=user.pk).update(is_staff=True)


def add_paper(workshop: Workshop, number: int, title: str, status: str, by: User,
           author: tuple[str, str, str]) -> Submission:  # fmt: skip
    paper = Submission.objects.create(
        workshop=workshop, number=number, title=title, abstract=f"Abstract of {title}.",
        status=status, created_by=by, submitted_at=timezone.now(), registered_at=timezone.now(),
    )  # fmt: skip
    Authorship.objects.create(submission=paper, position=1, name=author[0], email=author[1],
                              affiliation=author[2], is_contact=True)  # fmt: skip
    return paper


def add_review(paper: Submission, user: User, pseudonym: str, questions: dict[str, ReviewQuestion],
            texts: dict[str, object], *, submitted: bool = True, signed: bool = False
            ) -> Review:  # fmt: skip
    assignment = Assignment.objects.create(submission=paper, reviewer=user, pseudonym=pseudonym)
    review = Review.objects.create(
        assignment=assignment, signed=signed, version=1 if submitted else 0,
        status=ReviewStatus.SUBMITTED if submitted else ReviewStatus.DRAFT,
        submitted_at=timezone.now() if submitted else None,
    )  # fmt: skip
    for label, value in texts.items():
        Answer.objects.create(review=review, question=questions[label], value=value)
    return review


def build_world() -> World:
    workshop = WorkshopFactory(name="Open Workshop", short_name="OW 2026", slug="ow-2026")
    other = WorkshopFactory(name="Other Workshop", short_name="OTH", slug="oth-2026")
    people = {k: add_person(k) for k in ("chair", "ac", "r1", "r2", "r3", "stranger", "otherchair")}
    people["author"] = UserFactory(name=ACC_AUTHOR[0], email=ACC_AUTHOR[1])
    add_member(workshop, people["chair"], Role.CHAIR)
    add_member(other, people["otherchair"], Role.CHAIR)
    add_member(workshop, people["ac"], Role.AREA_CHAIR)
    for key in ("r1", "r2", "r3"):
        add_member(workshop, people[key], Role.REVIEWER)
    questions = {}
    for i, (label, help_text, kind, choices, required, visibility, flags) in enumerate(
        DEFAULT_FORM, start=1
    ):
        questions[label.split()[0]] = ReviewQuestion.objects.create(
            workshop=workshop, label=label, kind=kind, choices=choices, required=required,
            visibility=visibility, order=i,
            help_text="ZQCONFIDENCEHELP" if label == "Confidence" else help_text, **flags,
        )  # fmt: skip
    acc = add_paper(
        workshop, 1, "ZQACCTITLE", SubmissionStatus.ACCEPTED, people["author"], ACC_AUTHOR
    )
    rej = add_paper(workshop, 2, "ZQREJTITLE", SubmissionStatus.REJECTED, people["r1"], REJ_AUTHOR)
    wd = add_paper(workshop, 3, "ZQWDTITLE", SubmissionStatus.WITHDRAWN, people["r1"], REJ_AUTHOR)
    full = {"Summary": "", "Strengths": "Sound.", "Weaknesses": "Small.", "Overall": 4,
            "Confidence": 3, "Confidential": "ZQCONFIDENTIAL"}  # fmt: skip
    add_review(acc, people["r1"], "A", questions, {**full, "Summary": "ZQR1SUMMARY"})
    add_review(acc, people["r2"], "B", questions, {**full, "Summary": "ZQR2SUMMARY"}, signed=True)
    add_review(acc, people["r3"], "C", questions, {"Summary": "ZQDRAFTTEXT"}, submitted=False)
    add_review(rej, people["r2"], "A", questions, {**full, "Summary": "ZQREJREVIEW"})
    add_review(wd, people["r1"], "A", questions, {**full, "Summary": "ZQWDREVIEW"})
    Assignment.objects.create(submission=acc, reviewer=people["ac"], role=Role.AREA_CHAIR)
    MetaReview.objects.create(submission=acc, author=people["ac"], recommendation="accept",
                              text="ZQMETATEXT")  # fmt: skip
    AuthorResponse.objects.create(submission=acc, text="ZQRESPONSE", author=people["author"])
    Comment.objects.create(submission=acc, author=people["r1"], signature="Reviewer A",
                           body="ZQCOMMITTEENOTE")  # fmt: skip
    Comment.objects.create(submission=acc, author=people["chair"], signature="Chair",
                           body="ZQCHAIRSONLYNOTE", audience=CommentAudience.CHAIRS)  # fmt: skip
    accept = DecisionCategory.objects.create(workshop=workshop, name="Accept (oral)",
                                             outcome=Outcome.ACCEPT)  # fmt: skip
    reject = DecisionCategory.objects.create(workshop=workshop, name="Reject",
                                             outcome=Outcome.REJECT)  # fmt: skip
    Decision.objects.create(submission=acc, category=accept, decided_by=people["chair"])
    Decision.objects.create(submission=rej, category=reject, decided_by=people["chair"])
    final = SubmissionFile.objects.create(
        submission=acc, kind=FileKind.CAMERA_READY, file="ow/final.pdf", sha256="0" * 64,
        size=1, uploaded_by=people["author"],
    )  # fmt: skip
    Submission.objects.filter(pk=acc.pk).update(camera_ready=final)

    def public(status: str, body: str) -> PublicComment:
        return PublicComment.objects.create(
            submission=acc, author=people["stranger"], signature="ZQSTRANGERNAME", body=body,
            status=status,
        )  # fmt: skip

    public(PublicCommentStatus.APPROVED, "ZQAPPROVEDCOMMENT")
    held = public(PublicCommentStatus.HELD, "ZQHELDCOMMENT")
    rejected = public(PublicCommentStatus.REJECTED, "ZQREJECTEDCOMMENT")
    # Old enough not to count against the stranger's rate limit.
    PublicComment.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
    return World(workshop, other, acc, rej, wd, {k: u.pk for k, u in people.items()},
                 held.pk, rejected.pk)  # fmt: skip


def set_state(world: World, openness: str, phase: str) -> None:
    """`phase`: before (nothing released), reviews (reviews released only), decisions
    (decisions released only), both."""
    Workshop.objects.filter(pk=world.workshop.pk).update(
        openness=openness,
        reviews_released=phase in ("reviews", "both"),
        decisions_released=phase in ("decisions", "both"),
    )
