"""The resources do what the browser does, through the same services: an author's paper
from draft to withdrawal, bulk assignment and decisions with `dry_run`, a review from
draft to submission, the chairs' CSV export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.models import Assignment, Decision, DecisionCategory, Review, ReviewStatus
from submissions.models import Submission, SubmissionStatus
from tests.pdfs import make_pdf
from tests.policy_spec import enter_phase
from workshop.models import Activity, Membership, OutgoingMail, Role, User

from .world import AUTHOR_MARK, auth

pytestmark = pytest.mark.django_db


def _json(client, method: str, url: str, secret: str, body: dict | None = None):
    call = getattr(client, method)
    if body is None:
        return call(url, **auth(secret))
    return call(url, data=json.dumps(body), content_type="application/json", **auth(secret))


def test_an_author_creates_uploads_submits_and_withdraws(client, api_world, settings):
    enter_phase(api_world.base, "s")
    secret = api_world.secrets["author-Q"]
    a = api_world.base.a
    bad = _json(client, "post", reverse("api:submissions"), secret,
                {"workshop": a.slug, "abstract": "No title."})  # fmt: skip
    assert bad.status_code == 400 and "title" in bad.json()["error"]["fields"]
    created = _json(client, "post", reverse("api:submissions"), secret, {
        "workshop": a.slug, "title": "ZQ API paper", "abstract": "Made by a script.",
        "primary_topic": a.topics.first().pk, "llm_use": "none",
        "submission_type": api_world.base.p.submission_type_id})  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == SubmissionStatus.DRAFT
    assert Activity.objects.filter(action="submission.create").exists()
    edited = _json(client, "patch", reverse("api:submission", args=[pk]), secret,
                   {"tldr": "One line."})  # fmt: skip
    assert edited.status_code == 200 and edited.json()["tldr"] == "One line."
    assert edited.json()["title"] == "ZQ API paper"  # untouched fields keep their values
    early = client.post(reverse("api:submission-submit", args=[pk]), **auth(secret))
    assert early.status_code == 400  # no PDF yet: the service says what is missing
    pdf = SimpleUploadedFile("mine.pdf", make_pdf(pages=2), content_type="application/pdf")
    upload = client.post(reverse("api:submission-upload", args=[pk, "paper"]), {"file": pdf},
                         **auth(secret))  # fmt: skip
    assert upload.status_code == 201, upload.content
    assert upload.json()["pages"] == 2
    junk = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    refused = client.post(reverse("api:submission-upload", args=[pk, "paper"]), {"file": junk},
                          **auth(secret))  # fmt: skip
    assert refused.status_code == 400 and refused.json()["error"]["code"].startswith("file_")
    submitted = client.post(reverse("api:submission-submit", args=[pk]), **auth(secret))
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == SubmissionStatus.SUBMITTED
    files = client.get(reverse("api:submission-files", args=[pk]), **auth(secret)).json()
    download = client.get(reverse("api:submission-file", args=[pk, files["results"][0]["id"]]),
                          **auth(secret))  # fmt: skip
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # Another author's token cannot even see it.
    other = client.get(reverse("api:submission", args=[pk]), **auth(api_world.secrets["author-P"]))
    assert other.status_code == 404
    withdrawn = client.post(reverse("api:submission-withdraw", args=[pk]), **auth(secret))
    assert withdrawn.json()["status"] == SubmissionStatus.WITHDRAWN


def test_bulk_assignment_dry_run_changes_nothing_and_sends_nothing(
    client, api_world, django_capture_on_commit_callbacks
):
    enter_phase(api_world.base, "r")
    world = api_world.base
    unassigned = User.objects.get(pk=world.users["unassigned"])
    conflicted = User.objects.get(pk=world.users["conflicted"])
    url = reverse("api:assignments-bulk", args=[world.a.slug])
    body = {"dry_run": True, "add": [{"paper": 2, "reviewer": unassigned.email}],
            "remove": [{"paper": 1, "reviewer": User.objects.get(
                pk=world.users["R2-draft"]).email}]}  # fmt: skip
    before = (Assignment.objects.count(), OutgoingMail.objects.count(), Activity.objects.count())
    with django_capture_on_commit_callbacks() as callbacks:
        dry = _json(client, "post", url, api_world.secrets["chair-A"], body)
    assert dry.status_code == 200, dry.content
    assert dry.json()["dry_run"] is True and dry.json()["applied"] is False
    assert [r["changed"] for r in dry.json()["results"]] == [True, True]
    assert all(r["ok"] for r in dry.json()["results"])
    after = (Assignment.objects.count(), OutgoingMail.objects.count(), Activity.objects.count())
    assert after == before and callbacks == []
    # A refused change (a conflict) makes the whole request apply nothing.
    bad = {
        **body,
        "dry_run": False,
        "add": body["add"] + [{"paper": 1, "reviewer": conflicted.email}],
    }
    refused = _json(client, "post", url, api_world.secrets["chair-A"], bad)
    assert refused.json()["applied"] is False
    assert "conflict" in refused.json()["results"][-1]["message"]
    assert (Assignment.objects.count(), Activity.objects.count()) == (before[0], before[2])
    real = _json(client, "post", url, api_world.secrets["chair-A"], {**body, "dry_run": False})
    assert real.json()["applied"] is True
    assert Assignment.objects.filter(submission=world.q, reviewer=unassigned).exists()
    assert not Assignment.objects.filter(submission=world.p, reviewer_id=world.users["R2-draft"]
                                         ).exists()  # fmt: skip
    assert Activity.objects.filter(action="assignment.add").exists()
    assert OutgoingMail.objects.count() > before[1]  # the assignment notice


def test_bulk_decisions_dry_run_then_real(client, api_world, django_capture_on_commit_callbacks):
    enter_phase(api_world.base, "x")
    world = api_world.base
    url = reverse("api:decisions-bulk", args=[world.a.slug])
    chair = api_world.secrets["chair-A"]
    with django_capture_on_commit_callbacks() as callbacks:
        dry = _json(client, "post", url, chair, {"papers": [2], "outcome": "accept",
                                                 "dry_run": True})  # fmt: skip
    assert dry.status_code == 200 and dry.json()["results"][0]["changed"] is True, dry.json()
    assert not Decision.objects.filter(submission=world.q).exists() and callbacks == []
    missing = _json(client, "post", url, chair, {"papers": [99], "outcome": "reject"})
    assert missing.status_code == 400 and "#99" in missing.json()["error"]["message"]
    real = _json(client, "post", url, chair, {"papers": [2], "outcome": "accept"})
    assert real.json()["applied"] is True and real.json()["results"][0]["error"] == ""
    assert Decision.objects.get(submission=world.q).category.outcome == "accept"
    no_category = _json(client, "post", url, chair, {"papers": [2], "outcome": "reject"})
    assert no_category.status_code == 400  # refused as a whole, before any paper
    assert "No decision category for “Reject”" in no_category.json()["error"]["message"]
    denied = _json(client, "post", url, api_world.secrets["AC-of-P"],
                   {"papers": [2], "outcome": "accept"})  # fmt: skip
    assert denied.status_code == 403


def test_bulk_decisions_name_the_category_and_refuse_an_ambiguous_accept(client, api_world):
    enter_phase(api_world.base, "x")
    world = api_world.base
    url = reverse("api:decisions-bulk", args=[world.a.slug])
    chair = api_world.secrets["chair-A"]
    poster = DecisionCategory.objects.create(workshop=world.a, name="Accept (poster)",
                                             outcome="accept", order=5)  # fmt: skip
    ambiguous = _json(client, "post", url, chair, {"papers": [2], "outcome": "accept"})
    assert ambiguous.status_code == 400, ambiguous.json()
    error = ambiguous.json()["error"]
    assert "“accept” is ambiguous" in error["message"]
    assert "Nothing was changed." in error["message"]
    assert error["fields"]["category"] == [f"{world.accept.pk}: Accept",
                                           f"{poster.pk}: Accept (poster)"]  # fmt: skip
    assert not Decision.objects.filter(submission=world.q).exists()
    neither = _json(client, "post", url, chair, {"papers": [2]})
    assert neither.status_code == 400 and "category" in neither.json()["error"]["fields"]
    by_name = _json(client, "post", url, chair, {"papers": [2], "category": "accept (poster)"})
    assert by_name.status_code == 200 and by_name.json()["results"][0]["after"] == poster.name
    assert Decision.objects.get(submission=world.q).category == poster
    by_id = _json(client, "post", url, chair, {"papers": [2], "category": str(world.accept.pk)})
    assert by_id.json()["results"][0]["after"] == "Accept"
    assert Decision.objects.get(submission=world.q).category == world.accept


def test_a_reviewer_saves_a_draft_then_submits_with_the_forms_validation(client, api_world):
    enter_phase(api_world.base, "r")
    world = api_world.base
    secret = api_world.secrets["R2-draft"]
    url = reverse("api:review", args=[world.assignments["R2-asg"]])
    got = client.get(url, **auth(secret))
    assert got.status_code == 200 and got.json()["reviewer"] == "Reviewer B"
    assert AUTHOR_MARK not in got.content.decode()
    by_label = {q.label.split()[0]: q.pk for q in world.questions}
    draft = _json(client, "put", url, secret, {"answers": {str(by_label["Summary"]): "Draft."}})
    assert draft.status_code == 200 and draft.json()["status"] == ReviewStatus.DRAFT
    incomplete = _json(client, "put", url, secret, {"submit": True, "answers": {}})
    assert incomplete.status_code == 400 and "Please answer" in incomplete.json()["error"][
        "message"]  # fmt: skip
    full = {str(by_label["Summary"]): "Sound.", str(by_label["Strengths"]): "Clear.",
            str(by_label["Weaknesses"]): "Small.", str(by_label["Overall"]): 4,
            str(by_label["Confidence"]): 3}  # fmt: skip
    submitted = _json(client, "put", url, secret, {"submit": True, "answers": full})
    assert submitted.status_code == 200, submitted.content
    assert Review.objects.get(assignment_id=world.assignments["R2-asg"]).status == "submitted"
    assert Activity.objects.filter(action="review.submit").exists()
    bad_score = _json(client, "put", url, secret, {"submit": True, "answers": {
        **full, str(by_label["Overall"]): 99}})  # fmt: skip
    assert bad_score.status_code == 400


def test_the_chairs_export_csv_and_search(client, api_world):
    world = api_world.base
    url = reverse("api:export", args=[world.a.slug])
    csv = client.get(url, **auth(api_world.secrets["chair-A"]))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode()
    assert "ZQMATRIX paper 1" in text and AUTHOR_MARK in text
    assert client.get(url, **auth(api_world.secrets["R1-submitted"])).status_code == 403
    found = client.get(reverse("api:submissions"), {"q": "#2"},
                       **auth(api_world.secrets["chair-A"])).json()  # fmt: skip
    assert [s["number"] for s in found["results"]] == [2]
    broken = client.get(reverse("api:submissions"), {"q": '"unclosed'},
                        **auth(api_world.secrets["chair-A"]))  # fmt: skip
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_query"


def test_committee_members_are_not_authors_visible_to_reviewers(client, api_world):
    """A reviewer's lists never name the authors (double-blind)."""
    enter_phase(api_world.base, "r")
    Membership.objects.get_or_create(workshop=api_world.base.a, role=Role.REVIEWER,
                                     user_id=api_world.base.users["R1-submitted"])  # fmt: skip
    secret = api_world.secrets["R1-submitted"]
    for name, args, shown in [
        ("api:my-assignments", [], "ZQMATRIX paper 1"),
        ("api:reviews", [api_world.base.a.slug], '"paper":1'),
    ]:
        text = client.get(reverse(name, args=args), **auth(secret)).content.decode()
        assert shown in text and AUTHOR_MARK not in text, name
    assert Submission.objects.filter(pk=api_world.base.p.pk).exists()


def test_a_matching_run_is_started_polled_and_committed(
    client, api_world, django_capture_on_commit_callbacks
):
    enter_phase(api_world.base, "r")
    slug = api_world.base.a.slug
    chair = api_world.secrets["chair-A"]
    with django_capture_on_commit_callbacks(execute=True):
        started = _json(client, "post", reverse("api:matching-runs", args=[slug]), chair,
                        {"mode": "max_total"})  # fmt: skip
    assert started.status_code == 201, started.content
    run = client.get(reverse("api:matching-run", args=[slug, started.json()["id"]]),
                     **auth(chair)).json()  # fmt: skip
    assert run["status"] == "done" and run["progress"] == 100, run
    assert run["result"]  # the preview and its diagnosis
    with django_capture_on_commit_callbacks(execute=True):
        commit = client.post(reverse("api:matching-run-commit", args=[slug, run["id"]]),
                             **auth(chair))  # fmt: skip
    assert commit.status_code == 200, commit.content
    assert set(commit.json()) == {"added", "removed", "notified"}
    assert Activity.objects.filter(action="matching.commit").exists()
    other = client.get(reverse("api:matching-run", args=[slug, run["id"]]),
                       **auth(api_world.secrets["R1-submitted"]))  # fmt: skip
    assert other.status_code == 403


def test_committing_during_bidding_needs_the_explicit_flag(
    client, api_world, django_capture_on_commit_callbacks
):
    enter_phase(api_world.base, "b")
    slug = api_world.base.a.slug
    chair = api_world.secrets["chair-A"]
    with django_capture_on_commit_callbacks(execute=True):
        started = _json(client, "post", reverse("api:matching-runs", args=[slug]), chair,
                        {"mode": "max_total"})  # fmt: skip
    url = reverse("api:matching-run-commit", args=[slug, started.json()["id"]])
    refused = client.post(url, **auth(chair))
    assert refused.status_code == 409, refused.content
    error = refused.json()["error"]
    assert error["code"] == "bidding_open"
    assert "Bidding is still open: it closes" in error["message"] and "AoE" in error["message"]
    assert not Activity.objects.filter(action="matching.commit").exists()
    unflagged = _json(client, "post", url, chair, {"during_bidding": False})
    assert unflagged.status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        done = _json(client, "post", url, chair, {"during_bidding": True})
    assert done.status_code == 200, done.content
    entry = Activity.objects.get(action="matching.commit")
    assert entry.after["during_bidding"] is True


def test_a_body_that_is_not_an_object_is_refused_in_the_error_shape(client, api_world):
    for name, args in [("api:submissions", []), ("api:submission", [api_world.base.p.pk])]:
        method = "post" if name == "api:submissions" else "patch"
        response = getattr(client, method)(reverse(name, args=args), data="[1, 2]",
                                           content_type="application/json",
                                           **auth(api_world.secrets["author-P"]))  # fmt: skip
        assert response.status_code in (400, 403), response.content
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_the_review_tools_pdf_is_the_reviewer_copy(client, api_world):
    from django.core.files.base import ContentFile

    from submissions.models import SubmissionFile

    world = api_world.base
    enter_phase(world, "s")
    pdf = SimpleUploadedFile("p.pdf", make_pdf(pages=1), content_type="application/pdf")
    upload = client.post(reverse("api:submission-upload", args=[world.p.pk, "paper"]),
                         {"file": pdf}, **auth(api_world.secrets["author-P"]))  # fmt: skip
    assert upload.status_code == 201, upload.content
    enter_phase(world, "r")
    url = reverse("api:paper-pdf", args=[world.a.slug, world.p.number])
    reviewer, chair = auth(api_world.secrets["R1-submitted"]), auth(api_world.secrets["chair-A"])
    assert client.get(url, **reviewer).status_code == 404  # no anonymised copy yet
    original = b"".join(client.get(url, **chair).streaming_content)
    assert original.startswith(b"%PDF")
    stored = SubmissionFile.objects.get(pk=upload.json()["id"])
    stored.reviewer_copy.save("copy.pdf", ContentFile(b"%PDF-ZQANONYMISED"), save=True)
    copy = b"".join(client.get(url, **reviewer).streaming_content)
    assert copy == b"%PDF-ZQANONYMISED"
    outsider = client.get(url, **auth(api_world.secrets["unassigned"]))
    assert outsider.status_code == 404
