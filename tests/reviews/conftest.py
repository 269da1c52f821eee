"""The reviewing "world": one double-blind workshop A with two papers and a person for every
role, each carrying marker strings that must never reach someone who may not see them.

Workshop A (double-blind, other reviews after one's own, the default review form):

* paper P (#1, the target) by ZQAUTHORNAME with co-author ZQCOAUTHORNAME, both at
  markers.example.net / ZQAFFIL; its PDF carries ZQAUTHORNAME as /Author and XMP creator,
  and was uploaded as "ZQAUTHORNAME-paper.pdf" (the deep check made the reviewer copy);
* paper Q (#2) by ZQOTHERAUTHOR (qmarkers-lab.org / ZQOTHERAFFIL), no PDF.

People (the keys are the row names of the permission matrix):

* R1-submitted: Reviewer A of P, submitted (ZQR1SUBMITTEDTEXT, a chairs-only answer
  ZQCONFIDENTIAL, a committee-only confidence), and wrote a comment (ZQCOMMENTTEXT);
* R2-draft: Reviewer B of P, a draft only (ZQDRAFTTEXT);
* R3-not-started: Reviewer C of P;
* unassigned: a reviewer of A with no paper;
* conflicted: a reviewer of A in a chair-set conflict with P, not assigned;
* AC-of-P / AC-of-Q: area chairs (Assignment role area_chair) of P / of Q only; the area
  chair of P wrote a meta-review (ZQMETATEXT);
* chair-A, chair-B: the chairs of A and of another workshop B;
* author-P, author-Q: the submitting authors; anonymous: nobody signed in.

Every committee member's name, email and affiliation carry a ZQ... marker too, so that the
tests can check that identities never leak to other reviewers or to authors.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import TestCase
from django.test.utils import override_settings
from django.utils import timezone

from reviews.models import Assignment, Comment, MetaReview, Review, ReviewQuestion
from reviews.selectors.conflicts import conflicted_submission_ids
from reviews.services.assignment import assignment_add
from reviews.services.committee import conflict_override_set
from reviews.services.reviewing import (
    comment_post,
    default_form_create,
    meta_review_save,
    review_save_draft,
    review_submit,
)
from submissions.models import Submission, SubmissionType
from submissions.services import authors_replace, submission_file_upload
from submissions.services.authors import AuthorEntry
from tests.factories import (
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from tests.pdfs import make_pdf
from tests.submissions.conftest import new_submission
from workshop.models import OtherReviewsVisibility, Role, User, Workshop

# The assignment tests' fixtures (a workshop in bidding, its chair, a paper owner), for every
# module here that builds papers and committees with tests/reviews/assignment_world.py.
from .assignment_world import chair_of_workshop, paper_owner, workshop_in_bidding  # noqa: F401

# --- Marker strings -------------------------------------------------------------------------
AUTHOR_P = (
    "ZQAUTHORNAME",
    "zqauthor@markers.example.net",
    "ZQAFFIL",
    "ZQCOAUTHORNAME",
    "zqcoauthor@markers.example.net",
)
AUTHOR_Q = ("ZQOTHERAUTHOR", "zqother@qmarkers-lab.org", "ZQOTHERAFFIL")
P_TITLE = "ZQPTITLE"
Q_TITLE = "ZQQTITLE"
DRAFT = "ZQDRAFTTEXT"
CONFIDENTIAL = "ZQCONFIDENTIAL"
R1_TEXT = "ZQR1SUBMITTEDTEXT"
COMMENT = "ZQCOMMENTTEXT"
META = "ZQMETATEXT"

# role key -> (name, email, affiliation); the name's first word is its marker.
PEOPLE = {
    "R1-submitted": ("ZQREVIEWER1NAME Rone", "zqreviewer1@r1-lab.org", "ZQREVIEWER1AFFIL"),
    "R2-draft": ("ZQREVIEWER2NAME Rtwo", "zqreviewer2@r2-lab.org", "ZQREVIEWER2AFFIL"),
    "R3-not-started": ("ZQREVIEWER3NAME Rthree", "zqreviewer3@r3-lab.org", "ZQREVIEWER3AFFIL"),
    "unassigned": ("ZQUNASSIGNEDNAME Una", "zqunassigned@u-lab.org", "ZQUNASSIGNEDAFFIL"),
    "conflicted": ("ZQCONFLICTEDNAME Con", "zqconflicted@lab.example.net", "ZQCONFLICTEDAFFIL"),
    "AC-of-P": ("ZQACPNAME Acp", "zqacp@acp-lab.org", "ZQACPAFFIL"),
    "AC-of-Q": ("ZQACQNAME Acq", "zqacq@acq-lab.org", "ZQACQAFFIL"),
}
COMMITTEE_KEYS = tuple(PEOPLE)


def identity_markers(key: str) -> tuple[str, str, str]:
    name, email, affiliation = PEOPLE[key]
    return (name.split()[0], email, affiliation)


ROLES = (
    "anonymous",
    "author-P",
    "author-Q",
    "R1-submitted",
    "R2-draft",
    "R3-not-started",
    "unassigned",
    "conflicted",
    "AC-of-P",
    "AC-of-Q",
    "chair-A",
    "chair-B",
)


@dataclass
class World:
    workshop: Workshop
    other: Workshop
    p: Submission
    q: Submission
    users: dict[str, User | None]
    assignments: dict[str, Assignment]
    questions: dict[str, ReviewQuestion] = field(default_factory=dict)

    def q_id(self, label: str) -> int:
        return self.questions[label].pk

    def full_answers(self, **overrides: object) -> dict[int, object]:
        """Every required (and optional) question answered; keyword = label's first word."""
        values: dict[str, object] = {
            "Summary": "A clear summary.",
            "Strengths": "Sound method.",
            "Weaknesses": "Small data.",
            "Questions": "",
            "Overall": 3,
            "Confidence": 3,
            "Confidential": "",
        }
        values.update(overrides)
        by_word = {label.split()[0]: q for label, q in self.questions.items()}
        return {by_word[word].pk: value for word, value in values.items()}

    def post_data(self, **overrides: object) -> dict[str, str]:
        return {f"q_{k}": str(v) for k, v in self.full_answers(**overrides).items()}

    def review_of(self, key: str) -> Review | None:
        return Review.objects.filter(assignment=self.assignments[key]).first()

    def answer(self, key: str, label: str) -> object:
        review = self.review_of(key)
        if review is None:
            return None
        found = review.answers.filter(question__label=label).first()
        return found.value if found else None


def _person(key: str) -> User:
    name, email, affiliation = PEOPLE[key]
    return UserFactory(name=name, email=email, affiliation=affiliation)


def p_pdf() -> SimpleUploadedFile:
    data = make_pdf(pages=2, author="ZQAUTHORNAME", xmp_author="ZQAUTHORNAME ZQAFFIL")
    return SimpleUploadedFile("ZQAUTHORNAME-paper.pdf", data, "application/pdf")


def build_world(*, visibility: str = OtherReviewsVisibility.AFTER_OWN) -> World:
    workshop = WorkshopFactory(
        name="Workshop Alpha", short_name="WSA", slug="wsa", other_reviews_visibility=visibility
    )
    TopicFactory(workshop=workshop, name="Evaluation")
    SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    other = WorkshopFactory(name="Workshop Beta", short_name="WSB", slug="wsb")
    assert workshop.is_double_blind

    author_p = UserFactory(name="ZQAUTHORNAME Pauthor", email=AUTHOR_P[1],
                           affiliation="ZQAFFIL Institute")  # fmt: skip
    author_q = UserFactory(name="ZQOTHERAUTHOR Qauthor", email=AUTHOR_Q[1],
                           affiliation="ZQOTHERAFFIL Lab")  # fmt: skip
    p = new_submission(workshop, author_p, with_pdf=False, title=f"{P_TITLE} Paper under review")
    q = new_submission(workshop, author_q, with_pdf=False, title=f"{Q_TITLE} The other paper")
    with TestCase.captureOnCommitCallbacks(execute=True):
        authors_replace(submission=p, user=author_p, entries=[
            AuthorEntry("ZQAUTHORNAME Pauthor", AUTHOR_P[1], "ZQAFFIL Institute", True),
            AuthorEntry("ZQCOAUTHORNAME Co", AUTHOR_P[4], "ZQAFFIL Institute", False),
        ])  # fmt: skip
        submission_file_upload(submission=p, user=author_p, kind="paper", upload=p_pdf())
    now = timezone.now().replace(microsecond=0)
    Submission.objects.filter(pk__in=[p.pk, q.pk]).update(status="submitted", submitted_at=now)
    # The call is over, reviewing is on: reviews are due in a week.
    Workshop.objects.filter(pk=workshop.pk).update(
        paper_deadline=now - dt.timedelta(days=2),
        bidding_deadline=now - dt.timedelta(days=1),
        review_deadline=now + dt.timedelta(days=7),
    )
    workshop.refresh_from_db()
    p.refresh_from_db()
    q.refresh_from_db()
    assert p.paper is not None and p.paper.reviewer_copy, "the deep check made no reviewer copy"

    questions = {q_.label: q_ for q_ in default_form_create(workshop)}
    chair_a = make_chair(workshop, name="Chair Alpha", email="chair@alpha-chairs.org")
    chair_b = make_chair(other, name="Chair Beta", email="chair@beta-chairs.org")
    users: dict[str, User | None] = {
        "anonymous": None,
        "author-P": author_p,
        "author-Q": author_q,
        "chair-A": chair_a,
        "chair-B": chair_b,
    }
    for key in COMMITTEE_KEYS:
        users[key] = _person(key)
        role = Role.AREA_CHAIR if key.startswith("AC-") else Role.REVIEWER
        MembershipFactory(workshop=workshop, user=users[key], role=role)

    assignments: dict[str, Assignment] = {}
    with TestCase.captureOnCommitCallbacks(execute=True):
        for key in ("R1-submitted", "R2-draft", "R3-not-started"):
            assignments[key], _ = assignment_add(submission=p, reviewer=users[key], chair=chair_a)
        assignments["AC-of-P"], _ = assignment_add(
            submission=p, reviewer=users["AC-of-P"], chair=chair_a, role=Role.AREA_CHAIR
        )
        assignments["AC-of-Q"], _ = assignment_add(
            submission=q, reviewer=users["AC-of-Q"], chair=chair_a, role=Role.AREA_CHAIR
        )
    for a in assignments.values():
        a.refresh_from_db()

    # example.net is on the public-webmail list, so the shared domain alone is no conflict:
    # the chair records one, and the conflicted reviewer must see nothing of P (rule 4).
    conflict_override_set(submission=p, user=users["conflicted"], conflicted=True,
                          reason="Same lab as the authors", chair=chair_a)  # fmt: skip
    assert p.pk in conflicted_submission_ids(workshop, users["conflicted"])

    world = World(workshop, other, p, q, users, assignments, questions)
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(
            assignment=assignments["R1-submitted"],
            user=users["R1-submitted"],
            answers=world.full_answers(
                Summary=f"{R1_TEXT} The method is sound.",
                Overall=4,
                Confidence=4,
                Confidential=f"{CONFIDENTIAL}: I suspect a dual submission.",
            ),
        )
        review_save_draft(
            assignment=assignments["R2-draft"],
            user=users["R2-draft"],
            answers={world.q_id("Summary"): f"{DRAFT} half-written thoughts"},
        )
        comment_post(submission=p, user=users["R1-submitted"],
                     body=f"{COMMENT}: the baselines are weak.")  # fmt: skip
        meta_review_save(submission=p, user=users["AC-of-P"], recommendation="weak_accept",
                         text=f"{META}: leaning accept.")  # fmt: skip
    assert [assignments[k].pseudonym for k in ("R1-submitted", "R2-draft", "R3-not-started")] == [
        "A",
        "B",
        "C",
    ]
    assert Comment.objects.filter(submission=p).count() == 1
    assert MetaReview.objects.filter(submission=p).exists()
    return world


def mails_about(obj: object):  # -> QuerySet[OutgoingMail]
    """The outbox rows that concern `obj` (found by relation, never by key)."""
    from django.contrib.contenttypes.models import ContentType

    from workshop.models import OutgoingMail

    return OutgoingMail.objects.filter(
        target_type=ContentType.objects.get_for_model(type(obj)), target_id=obj.pk
    )


_DEEP_CHECKS: dict[tuple, object] = {}


def _cache_deep_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from submissions.services import files

    real = files.run_deep_check

    def cached(data: bytes, identities: list[str]):  # type: ignore[no-untyped-def]
        key = (hashlib.sha256(data).hexdigest(), tuple(identities))
        if key not in _DEEP_CHECKS:
            _DEEP_CHECKS[key] = real(data, identities=identities)
        return copy.deepcopy(_DEEP_CHECKS[key])

    monkeypatch.setattr(files, "run_deep_check", cached)


@pytest.fixture
def cached_deep_check(monkeypatch):
    """The sandboxed deep check of the same bytes gives the same report: run it once per
    session (it is the slow part of a world), then reuse the report."""
    _cache_deep_check(monkeypatch)


@pytest.fixture
def world(db, cached_deep_check) -> World:
    return build_world()


@dataclass
class BuiltWorld:
    """A world built once for a module: its rows live in an open outer transaction, its
    files in `media`. `checkout` hands a test its own copy."""

    world: World
    media: Path

    def checkout(self, settings, media_root: Path) -> World:  # type: ignore[no-untyped-def]
        """A copy of the world for one test: the files copied to the test's own media root
        (what the test writes there dies with it) and the Python objects deep-copied (what
        the test changes on them does not reach the next test). The rows are the test's
        savepoint's to change: pytest-django rolls it back at the end of the test."""
        shutil.copytree(self.media, media_root, dirs_exist_ok=True)
        settings.MEDIA_ROOT = media_root
        return copy.deepcopy(self.world)


@pytest.fixture(scope="module")
def world_once(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[BuiltWorld]:
    """build_world() once per module, inside a transaction rolled back when the module ends.

    Each test that asks for it runs in pytest-django's savepoint inside that transaction, so
    a test's writes are undone before the next one starts, as with a world of its own. The
    build runs with the settings the function-scoped autouse fixtures of tests/conftest.py
    give a test (tasks in-process, mail in memory, fast hashing, files on disk), since those
    are not yet in force when a module fixture runs."""
    from django.conf import settings

    from workshop.celery import app as celery_app

    media = tmp_path_factory.mktemp("world-media")
    storages = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    eager = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with (
            django_db_blocker.unblock(),
            pytest.MonkeyPatch.context() as monkeypatch,
            override_settings(
                MEDIA_ROOT=media,
                STORAGES=storages,
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            ),
        ):
            _cache_deep_check(monkeypatch)
            celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
            try:
                built = BuiltWorld(build_world(), media)
            finally:
                celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = eager
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def frozen_now(monkeypatch):
    """Freeze django.utils.timezone.now at a given instant: `frozen_now(at)`."""

    def freeze(at: dt.datetime) -> None:
        monkeypatch.setattr("django.utils.timezone.now", lambda: at)

    return freeze
