"""Shared by the admin policy tests and the pages that read the same world: a workshop with
one object of every model the admin registers, every name carrying its tag (workshop A's
"qqa", so that what leaks shows), and the POST a browser sends back for an admin form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from reviews.models import (
    Assignment,
    Bid,
    ConflictOverride,
    DecisionCategory,
    Invitation,
    MatchingRun,
    Review,
    ReviewerProfile,
    ReviewQuestion,
    token_hash,
)
from submissions.models import (
    AuthorConflict,
    Authorship,
    FileKind,
    ProceedingsBundle,
    Submission,
    SubmissionFile,
    SubmissionStatus,
    SubmissionType,
)
from tests.factories import MembershipFactory, TopicFactory, UserFactory, WorkshopFactory
from workshop.activity import activity_record
from workshop.models import OutgoingMail, Role, User
from workshop.services import membership_grant

MARKERS = ("qqa", "qqloner", "qqroot")  # in every name of A, of the loner, of the superuser


def person(tag: str, n: int, **kwargs: Any) -> User:
    return UserFactory(name=f"{tag}-person-{n}", email=f"{tag}-{n}@{tag}.example.org", **kwargs)


def build_workshop(tag: str) -> dict[str, Any]:
    """One workshop with one object of every model the admin registers, all named `tag`."""
    w = WorkshopFactory(name=f"Workshop {tag}", short_name=tag.upper(), slug=f"ws-{tag}")
    chair = person(tag, 0)
    membership_grant(workshop=w, user=chair, role=Role.CHAIR)
    chair.refresh_from_db()
    author, reviewer, coauthor_user = person(tag, 1), person(tag, 2), person(tag, 3)
    topic = TopicFactory(workshop=w, name=f"{tag} topic")
    member = MembershipFactory(workshop=w, user=reviewer, role=Role.REVIEWER)
    stype = SubmissionType.objects.create(workshop=w, name=f"{tag} type", page_limit=8)
    paper = Submission.objects.create(
        workshop=w, number=1, title=f"{tag} paper", created_by=author, primary_topic=topic,
        submission_type=stype, status=SubmissionStatus.SUBMITTED, submitted_at=timezone.now(),
    )  # fmt: skip
    paper.secondary_topics.set([topic])
    Authorship.objects.create(
        submission=paper, position=1, name=author.name, email=author.email, is_contact=True
    )
    Authorship.objects.create(
        submission=paper, position=2, name=coauthor_user.name, email=coauthor_user.email
    )
    AuthorConflict.objects.create(submission=paper, institution=f"{tag} institute")
    files = {
        kind: SubmissionFile.objects.create(
            submission=paper,
            kind=kind,
            file=f"submissions/{tag}-{kind}.pdf",
            sha256=f"{tag}{kind}".ljust(64, "0"),
            size=10,
            uploaded_by=author,
        )
        for kind in (FileKind.PAPER, FileKind.SUPPLEMENTARY, FileKind.CAMERA_READY)
    }
    Submission.objects.filter(pk=paper.pk).update(
        paper=files[FileKind.PAPER], supplementary=files[FileKind.SUPPLEMENTARY]
    )
    paper.refresh_from_db()
    assignment = Assignment.objects.create(
        submission=paper, reviewer=reviewer, pseudonym="A", created_by=chair
    )
    category = DecisionCategory.objects.create(workshop=w, name=f"{tag} accept", outcome="accept")
    objects = {
        "workshop": w,
        "topic": topic,
        "membership": member,
        "outgoingmail": OutgoingMail.objects.create(
            key=f"test:{tag}",
            workshop=w,
            to=author.email,
            kind="test",
            subject=f"{tag} mail",
            body_text="x",
            submission_id=paper.pk,
        ),
        "activity": activity_record(
            actor=chair, action="reminders.send", target=paper, summary=f"{tag} entry"
        ),
        "submissiontype": stype,
        "submission": paper,
        "decisionboard": paper,
        "proceedingsbundle": ProceedingsBundle.objects.create(workshop=w, requested_by=chair),
        "invitation": Invitation.objects.create(
            workshop=w,
            email=f"{tag}-invited@{tag}.example.org",
            name=f"{tag} invited",
            accept_hash=token_hash(f"{tag}a"),
            decline_hash=token_hash(f"{tag}d"),
            expires_at=timezone.now() + dt.timedelta(days=7),
            invited_by=chair,
        ),
        "reviewerprofile": ReviewerProfile.objects.create(workshop=w, user=reviewer),
        "conflictoverride": ConflictOverride.objects.create(
            submission=paper,
            user=reviewer,
            conflicted=False,
            reason=f"{tag} reason",
            set_by=chair,
        ),
        "bid": Bid.objects.create(submission=paper, user=reviewer, value="eager"),
        "assignment": assignment,
        "matchingrun": MatchingRun.objects.create(workshop=w, created_by=chair),
        "reviewquestion": ReviewQuestion.objects.create(
            workshop=w, label=f"{tag} question", kind="text"
        ),
        "review": Review.objects.create(assignment=assignment),
        "decisioncategory": category,
    }
    people = {chair, author, reviewer, coauthor_user}
    return {"w": w, "chair": chair, "author": author, "reviewer": reviewer, "people": people,
            "files": files, "paper": paper, "objects": objects}  # fmt: skip


def form_data(response) -> dict[str, Any]:
    """The POST a browser would send back for the rendered admin form and its inlines."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for field in management.fields:
            data[management.add_prefix(field)] = management[field].value()
        forms += formset.forms
    for form in forms:
        for field_name in form.fields:
            value = form[field_name].value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(field_name)] = "on"
                continue
            if isinstance(value, dt.datetime):  # one datetime-local input per milestone
                data[form.add_prefix(field_name)] = value.strftime("%Y-%m-%dT%H:%M")
                continue
            data[form.add_prefix(field_name)] = value
    return data
