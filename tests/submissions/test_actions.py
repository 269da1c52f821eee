"""The submissions actions: each resolves access itself through the policy and writes exactly
one activity entry (the paper's history for its authors), and none takes a verdict."""

from __future__ import annotations

import datetime as dt
import inspect
import typing

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from submissions.models import (
    FileKind,
    Submission,
    SubmissionAction,
    SubmissionStatus,
)
from submissions.services import authors as authors_module
from submissions.services import (
    authors_replace,
    conflicts_declare,
    submission_create,
    submission_file_check,
    submission_file_upload,
    submission_restore,
    submission_submit,
    submission_update,
    submission_withdraw,
)
from submissions.services import camera_ready as camera_ready_module
from submissions.services import files as files_module
from submissions.services import lifecycle as lifecycle_module
from submissions.services.authors import AuthorEntry
from submissions.services.camera_ready import (
    camera_ready_update,
    camera_ready_upload,
    proceedings_request,
)
from submissions.services.lifecycle import submission_reviews_seen, submission_set_outcome
from tests.factories import MembershipFactory, UserFactory, WorkshopFactory, make_chair
from tests.pdfs import make_pdf
from workshop.errors import DeadlinePassed, NotAllowed, NotFound, ServiceError
from workshop.models import Activity, OutgoingMail, Role

from .conftest import new_submission, pdf_upload


class Entries:
    """The activity entries written inside the block."""

    def __enter__(self) -> Entries:
        self.before = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return self

    def __exit__(self, *exc: object) -> None:
        self.new = list(Activity.objects.filter(pk__gt=self.before).order_by("pk"))


def one_entry(entries: Entries, action: str, actor, submission: Submission | None) -> Activity:
    assert [e.action for e in entries.new] == [action]
    (entry,) = entries.new
    assert entry.actor_id == (actor.pk if actor is not None else None)
    if submission is not None:
        assert entry.submission_id == submission.pk
        assert entry.workshop_id == submission.workshop_id
        assert entry.target == submission
        assert entry.authors_see is True
    return entry


def accept(submission: Submission) -> Submission:
    chair = make_chair(submission.workshop)
    submission_set_outcome(submission=submission, outcome="accept", chair=chair)
    type(submission.workshop).objects.filter(pk=submission.workshop_id).update(
        decisions_released=True
    )
    submission.refresh_from_db()
    return submission


@pytest.fixture
def draft(workshop, author) -> Submission:
    return new_submission(workshop, author)


@pytest.fixture
def submitted(draft, author) -> Submission:
    submission_submit(submission=draft, user=author)
    draft.refresh_from_db()
    return draft


@pytest.fixture
def coauthor(draft, author):
    """A verified co-author who is not a contact author."""
    user = UserFactory(email="bob@uni-b.example.edu", name="Bob Co")
    authors_replace(
        submission=draft,
        user=author,
        entries=[
            AuthorEntry(author.name, author.email, is_contact=True),
            AuthorEntry(user.name, user.email),
        ],
    )
    return user


# --- one entry per action -------------------------------------------------------------------


def test_create_writes_one_entry(workshop, author):
    with Entries() as entries:
        submission = submission_create(workshop=workshop, user=author, title="T", abstract="A")
    one_entry(entries, SubmissionAction.CREATE, author, submission)


def test_update_writes_one_entry_naming_the_fields_and_nothing_when_unchanged(draft, author):
    with Entries() as entries:
        submission_update(submission=draft, user=author, title="A new title")
    entry = one_entry(entries, SubmissionAction.EDIT, author, draft)
    assert "title" in entry.summary
    with Entries() as entries:
        submission_update(submission=draft, user=author, title="A new title")
    assert entries.new == []


def test_authors_and_conflicts_write_one_entry_each(draft, author, workshop):
    member = UserFactory()
    MembershipFactory(user=member, workshop=workshop, role=Role.REVIEWER)
    with Entries() as entries:
        authors_replace(
            submission=draft,
            user=author,
            entries=[
                AuthorEntry(author.name, author.email, is_contact=True),
                AuthorEntry("Carol", "carol@example.org"),
            ],
        )
    one_entry(entries, SubmissionAction.AUTHORS, author, draft)
    with Entries() as entries:
        conflicts_declare(submission=draft, user=author, members=[member], institutions=["Uni C"])
    one_entry(entries, SubmissionAction.CONFLICTS, author, draft)


def test_uploads_write_one_entry_each(draft, author):
    for kind in (FileKind.PAPER, FileKind.SUPPLEMENTARY):
        with Entries() as entries:
            submission_file_upload(submission=draft, user=author, kind=kind, upload=pdf_upload())
        one_entry(entries, SubmissionAction.UPLOAD, author, draft)


def test_submit_writes_one_entry_and_the_receipts_point_at_it(draft, author):
    with Entries() as entries:
        submission_submit(submission=draft, user=author)
    entry = one_entry(entries, SubmissionAction.SUBMIT, author, draft)
    receipts = OutgoingMail.objects.filter(kind="submission_receipt", submission_id=draft.pk)
    assert [m.key for m in receipts] == [f"receipt:{entry.pk}:{author.email}"]
    (receipt,) = receipts
    assert receipt.target == draft
    assert "Submitted" in receipt.body_text and "/submissions/" in receipt.body_text
    # A second click changes nothing and writes nothing.
    with Entries() as entries:
        submission_submit(submission=draft, user=author)
    assert entries.new == []


def test_notify_false_writes_the_entry_but_no_mail(draft, author):
    with Entries() as entries:
        submission_submit(submission=draft, user=author, notify=False)
    one_entry(entries, SubmissionAction.SUBMIT, author, draft)
    assert not OutgoingMail.objects.filter(submission_id=draft.pk).exists()


def test_withdraw_and_restore_write_one_entry_each(submitted, author):
    chair = make_chair(submitted.workshop)
    with Entries() as entries:
        submission_withdraw(submission=submitted, user=author)
    one_entry(entries, SubmissionAction.WITHDRAW, author, submitted)
    with Entries() as entries:
        submission_withdraw(submission=submitted, user=author)  # a retried request
    assert entries.new == []
    with Entries() as entries:
        submission_restore(submission=submitted, user=chair)
    one_entry(entries, SubmissionAction.RESTORE, chair, submitted)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.SUBMITTED


def test_the_deep_check_writes_one_system_entry(draft, author, monkeypatch):
    from submissions.filechecks import DeepReport

    monkeypatch.setattr(
        files_module, "run_deep_check", lambda data, identities: DeepReport.failure("boom")
    )
    stored = submission_file_upload(
        submission=draft, user=author, kind=FileKind.PAPER, upload=pdf_upload()
    )  # its check is enqueued on commit, which never comes here: run it as the worker would
    with Entries() as entries:
        submission_file_check(stored.pk)
    entry = one_entry(entries, SubmissionAction.CHECK, None, draft)
    assert "boom" not in entry.summary  # the chairs read the error in the report


def test_set_outcome_is_a_step_of_the_decision_and_writes_nothing(submitted):
    chair = make_chair(submitted.workshop)
    with Entries() as entries:
        submission_set_outcome(submission=submitted, outcome="accept", chair=chair)
    assert entries.new == []
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.ACCEPTED


def test_camera_ready_upload_and_details_write_one_entry_each(submitted, author):
    paper = accept(submitted)
    with Entries() as entries:
        camera_ready_upload(
            submission=paper,
            user=author,
            upload=SimpleUploadedFile("final.pdf", make_pdf(pages=3), "application/pdf"),
        )
    one_entry(entries, SubmissionAction.CAMERA_READY, author, paper)
    with Entries() as entries:
        camera_ready_update(
            submission=paper,
            user=author,
            title="Final title",
            abstract="Final abstract",
            keywords="a, b",
            licence="CC-BY-4.0",
            accept_terms=True,
        )
    one_entry(entries, SubmissionAction.LICENCE, author, paper)


def test_proceedings_request_writes_one_chairs_only_entry(workshop):
    chair = make_chair(workshop)
    with Entries() as entries, TestCase.captureOnCommitCallbacks(execute=False):
        bundle = proceedings_request(workshop=workshop, chair=chair)
    (entry,) = entries.new
    assert entry.action == "proceedings.request" and entry.actor_id == chair.pk
    assert entry.target == bundle and entry.authors_see is False


# --- access resolved by the services themselves ---------------------------------------------


def _calls(submission: Submission, user) -> dict[str, typing.Callable[[], object]]:
    return {
        "update": lambda: submission_update(submission=submission, user=user, title="X"),
        "submit": lambda: submission_submit(submission=submission, user=user),
        "authors": lambda: authors_replace(
            submission=submission,
            user=user,
            entries=[AuthorEntry("X", getattr(user, "email", "x@example.org"), is_contact=True)],
        ),
        "conflicts": lambda: conflicts_declare(
            submission=submission, user=user, members=[], institutions=[]
        ),
        "upload": lambda: submission_file_upload(
            submission=submission, user=user, kind=FileKind.PAPER, upload=pdf_upload()
        ),
        "supplementary": lambda: submission_file_upload(
            submission=submission, user=user, kind=FileKind.SUPPLEMENTARY, upload=pdf_upload()
        ),
        "withdraw": lambda: submission_withdraw(submission=submission, user=user),
    }


ACTIONS = ["update", "submit", "authors", "conflicts", "upload", "supplementary", "withdraw"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["stranger", "reviewer", "chair of another workshop"])
def test_who_may_not_know_the_paper_gets_not_found(draft, action, who):
    user = UserFactory()
    if who == "reviewer":
        MembershipFactory(user=user, workshop=draft.workshop, role=Role.REVIEWER)
    elif who == "chair of another workshop":
        user = make_chair(WorkshopFactory())
    with Entries() as entries, pytest.raises(NotFound):
        _calls(draft, user)[action]()
    assert entries.new == []


@pytest.mark.parametrize("action", ACTIONS)
def test_a_co_author_who_is_not_a_contact_gets_not_allowed(draft, coauthor, action):
    with Entries() as entries, pytest.raises(NotAllowed) as refused:
        _calls(draft, coauthor)[action]()
    assert "contact authors" in refused.value.message
    assert entries.new == []


@pytest.mark.parametrize("action", ACTIONS[:-1])
def test_a_chair_may_see_but_not_change_an_authors_paper(draft, action):
    chair = make_chair(draft.workshop)
    with pytest.raises(NotAllowed, match="contact authors"):
        _calls(draft, chair)[action]()


@pytest.mark.parametrize("action", ["update", "submit", "authors", "conflicts", "upload"])
def test_after_the_deadline_the_contact_author_gets_deadline_passed(
    draft, author, action, frozen_now
):
    frozen_now(draft.workshop.paper_deadline + dt.timedelta(days=1))
    with Entries() as entries, pytest.raises(DeadlinePassed) as refused:
        _calls(draft, author)[action]()
    assert refused.value.message.startswith("The deadline for changes has passed")
    assert entries.new == []


def test_supplementary_after_its_deadline_says_so(draft, author, frozen_now):
    frozen_now(draft.workshop.paper_deadline + dt.timedelta(days=1))
    with pytest.raises(DeadlinePassed, match="supplementary material has passed"):
        _calls(draft, author)["supplementary"]()


def test_a_withdrawn_paper_cannot_be_edited_and_its_authors_restore_it_while_open(
    submitted, author
):
    """The withdraw ladder (tests/submissions/test_withdraw_ladder.py): the authors restore
    their own withdrawal while the call is open; a stranger learns nothing."""
    submission_withdraw(submission=submitted, user=author)
    with pytest.raises(NotAllowed, match="This paper is withdrawn"):
        submission_update(submission=submitted, user=author, title="X")
    with pytest.raises(NotFound):
        submission_restore(submission=submitted, user=UserFactory())
    submission_restore(submission=submitted, user=author)
    submitted.refresh_from_db()
    assert submitted.is_submitted


def test_a_decided_paper_cannot_be_withdrawn(submitted, author):
    accept(submitted)
    with pytest.raises(NotAllowed, match="a decision has been set: only the chairs"):
        submission_withdraw(submission=submitted, user=author)


def test_create_asks_whether_the_call_is_open(workshop, author):
    type(workshop).objects.filter(pk=workshop.pk).update(
        paper_deadline=timezone.now() - dt.timedelta(days=1)
    )
    workshop.refresh_from_db()
    with Entries() as entries, pytest.raises(DeadlinePassed, match="call for papers is closed"):
        submission_create(workshop=workshop, user=author, title="Late")
    assert entries.new == [] and not Submission.objects.exists()


def test_only_chairs_set_outcomes_and_build_proceedings(submitted, author):
    with pytest.raises(NotAllowed, match="Only the chairs decide"):
        submission_set_outcome(submission=submitted, outcome="accept", chair=author)
    with pytest.raises(NotFound):
        submission_set_outcome(submission=submitted, outcome="accept", chair=UserFactory())
    with pytest.raises(NotAllowed, match="Only the chairs build"):
        proceedings_request(workshop=submitted.workshop, chair=author)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.SUBMITTED


def test_camera_ready_refusals(submitted, author, coauthor, frozen_now):
    upload = SimpleUploadedFile("final.pdf", make_pdf(pages=3), "application/pdf")
    with pytest.raises(NotAllowed, match="Only accepted papers"):
        camera_ready_upload(submission=submitted, user=author, upload=upload)
    paper = accept(submitted)
    with pytest.raises(NotFound):
        camera_ready_upload(submission=paper, user=UserFactory(), upload=upload)
    with pytest.raises(NotAllowed, match="contact authors"):
        camera_ready_upload(submission=paper, user=coauthor, upload=upload)
    frozen_now(paper.workshop.camera_ready_deadline + dt.timedelta(days=1))
    with pytest.raises(DeadlinePassed, match="camera-ready deadline has passed"):
        camera_ready_upload(submission=paper, user=author, upload=upload)


# --- no verdicts from callers ---------------------------------------------------------------

SERVICES = [
    submission_create,
    submission_update,
    submission_submit,
    submission_withdraw,
    submission_restore,
    submission_reviews_seen,
    submission_set_outcome,
    authors_replace,
    conflicts_declare,
    submission_file_upload,
    camera_ready_upload,
    camera_ready_update,
    proceedings_request,
]
# Booleans a caller may pass: the author's own consent, and whether to send mail.
NOT_VERDICTS = {"accept_terms", "notify"}
VERDICT_PREFIXES = ("may_", "is_", "can_", "allowed", "as_chair", "verdict", "force")


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.__name__)
def test_no_service_accepts_a_verdict(service):
    hints = typing.get_type_hints(service)
    for name, param in inspect.signature(service).parameters.items():
        assert param.kind in (param.KEYWORD_ONLY, param.VAR_KEYWORD), name
        assert not name.startswith(VERDICT_PREFIXES), f"{service.__name__}({name}=...)"
        if hints.get(name) is bool:
            assert name in NOT_VERDICTS, f"{service.__name__}({name}: bool)"


def test_every_public_service_of_the_app_is_covered():
    modules = [lifecycle_module, authors_module, files_module, camera_ready_module]
    public = {
        name
        for module in modules
        for name, fn in vars(module).items()
        if inspect.isfunction(fn)
        and fn.__module__ == module.__name__
        and hasattr(fn, "__wrapped__")  # @transaction.atomic
    }
    assert public <= {s.__name__ for s in SERVICES}, public - {s.__name__ for s in SERVICES}


def test_the_duplicate_phase_helpers_are_gone():
    for module in (lifecycle_module, files_module, camera_ready_module):
        for name in ("camera_ready_open", "camera_ready_page_limit", "page_limit_for"):
            assert getattr(module, name, None) is None or (
                getattr(module, name).__module__ == "submissions.permissions"
            ), (module.__name__, name)
    assert not hasattr(lifecycle_module, "event_record")


def test_a_service_error_is_raised_for_bad_input(draft, author):
    with pytest.raises(ServiceError, match="Unknown fields"):
        submission_update(submission=draft, user=author, status="accepted")


# --- the author-facing history --------------------------------------------------------------


def _history(client, submission) -> str:
    from django.urls import reverse

    page = client.get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    return page.split('id="history-h"', 1)[1].split("</section>", 1)[0]


def test_the_history_is_the_papers_entries_that_authors_see(client, submitted, author):
    from workshop.activity import activity_record

    chair = make_chair(submitted.workshop, name="Chair Secret-Name")
    activity_record(
        actor=chair, action="decision.record", target=submitted, summary="Accept (oral)"
    )
    client.force_login(author)
    history = _history(client, submitted)
    assert "Submitted" in history and "Created" in history and "File uploaded" in history
    assert "Accept (oral)" not in history and "Secret-Name" not in history
    assert author.name in history


def test_the_detail_page_costs_the_same_queries_for_a_short_and_a_long_history(
    client, draft, author
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client.force_login(author)
    url = reverse("submissions:detail", args=[draft.pk])
    client.get(url)
    counts = []
    for title in ("One", "Two", "Three", "Four", "Five"):
        submission_update(submission=draft, user=author, title=title)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    # 9 before the history moved into the activity log; the one more is the role lookup
    # of `reviews.read_released` / `decisions.see`, asked by the template through {% can %};
    # and one for the co-authors' confirmations (the to-do list and the author list); then
    # (issue 27) the chairs' questions (read once for the answers and a draft's missing
    # ones), the stored answers, and the tracks the reader chairs.
    assert counts == [14] * 5
