"""OpenReview's people: profile ids resolved through the profiles exported with the notes
(openreview-py's `Profile.to_json()`) or a mapping CSV `profile_id,email[,name]`; the
committee from a venue's groups (`Group.to_json()`), Area_Chairs as area chairs; a review
signed by its anonymous group is its member's. Fixtures: tests/data/transfer/real/
openreview/ (README.md says where each shape comes from)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.db import transaction

from reviews.models import Review
from reviews.services.reviewing import default_form_create
from submissions.models import Submission
from tests.factories import WorkshopFactory, make_chair
from transfer.formats import openreview_people
from transfer.importers import run_import
from transfer.models import SourceRecord
from transfer.report import Report
from workshop.models import Membership, Role

pytestmark = pytest.mark.django_db
REAL = Path(__file__).resolve().parent.parent / "data" / "transfer" / "real" / "openreview"


def _zip(*names: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, (REAL / name).read_bytes())
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture
def ws():
    with transaction.atomic():
        workshop = WorkshopFactory(slug="or-people")
        chair = make_chair(workshop)
        default_form_create(workshop)
        yield workshop, chair
        transaction.set_rollback(True)


def _roles(workshop) -> dict[str, tuple[str, str]]:
    members = Membership.objects.filter(workshop=workshop).exclude(role=Role.CHAIR)
    return {m.user.email: (m.role, m.user.name) for m in members.select_related("user")}


def test_the_committee_comes_from_the_groups_with_profiles_and_a_mapping(ws):
    workshop, chair = ws
    data = _zip("groups.json", "profiles.json", "mapping.csv")
    dry = run_import(workshop=workshop, actor=chair, fmt="openreview-committee", data=data,
                     dry_run=True)  # fmt: skip
    assert dry.ok, dry.errors
    assert _roles(workshop) == {}
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-committee", data=data)
    assert report.ok, report.errors
    assert _roles(workshop) == {
        "rey@pc.example.org": (Role.REVIEWER, "Rey Four"),  # a profile's first/last name
        "sam@pc.example.org": (Role.AREA_CHAIR, "Sam Area"),  # Area_Chairs wins; mapping
        "uma@pc.example.org": (Role.REVIEWER, "uma@pc.example.org"),  # named by address
    }
    fates = {(f["kind"], f["field"], f["fate"]): f["count"] for f in report.fields()}
    assert fates[("group", "members", "mapped to area chairs")] == 1
    assert fates[("group", "members", "mapped to reviewers")] == 3
    again = run_import(workshop=workshop, actor=chair, fmt="openreview-committee", data=data)
    assert again.ok and _roles(workshop)["sam@pc.example.org"][0] == Role.AREA_CHAIR


def test_a_member_known_only_by_profile_id_is_named_with_what_to_add(ws):
    workshop, chair = ws
    data = (REAL / "groups.json").read_bytes()
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-committee", data=data)
    assert not report.ok
    messages = [e["message"] for e in report.errors]
    assert any(
        m.startswith("~Rey_Four1 (OSLLM.org/2026/Workshop/Reviewers): no address")
        and "mapping CSV" in m
        and "Profile.to_json()" in m
        for m in messages
    ), messages
    assert _roles(workshop) == {}


def test_notes_with_their_profiles_mapping_and_groups_in_one_zip(ws):
    """Authors by profile id get their addresses (the profile's preferred one; the mapping
    for one the export lacks); a masked address is none, and said so; the review signed by
    its anonymous group is the group's member's, who joins with the committee groups."""
    workshop, chair = ws
    data = _zip("notes.json", "profiles.json", "mapping.csv", "groups.json")
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=data)
    assert report.ok, report.errors
    paper = Submission.objects.get(workshop=workshop, number=3)
    assert [(a.name, a.email, a.is_contact) for a in paper.authors.order_by("position")] == [
        ("Ada One", "ada@uni-a.example.edu", True),
        ("Bo Two", "bo@uni-b.example.edu", False),
        ("Cy Masked", "", False),
    ]
    assert any("~Cy_Masked1" in w["message"] and "masked" in w["message"]
               for w in report.warnings), report.warnings  # fmt: skip
    kept = SourceRecord.objects.get(workshop=workshop, kind="paper", source_id="fPaper3")
    assert kept.data["OpenReview profiles"] == {
        "Ada One": "~Ada_One1", "Bo Two": "~Bo_Two2", "Cy Masked": "~Cy_Masked1",
    }  # fmt: skip
    review = Review.objects.get(assignment__submission=paper)
    assert review.assignment.reviewer.email == "rey@pc.example.org"
    assert review.answers.get(question__is_recommendation=True).value == 4
    assert _roles(workshop)["sam@pc.example.org"][0] == Role.AREA_CHAIR
    # No identity went into text: the review's answers hold none of the signer's ids.
    texts = " ".join(str(a.value) for a in review.answers.all())
    assert "Rey" not in texts and "rey@" not in texts and "Reviewer_hK2p" not in texts
    again = run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=data)
    assert again.ok and again.changes == [], again.changes


def test_one_json_with_notes_and_profiles_and_a_single_note(ws):
    workshop, chair = ws
    document = json.loads((REAL / "notes.json").read_text())
    document["profiles"] = json.loads((REAL / "profiles.json").read_text())
    data = json.dumps(document).encode()
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=data,
                        dry_run=True)  # fmt: skip
    assert report.ok, report.errors
    # The anonymous review has no member to resolve it here: kept for the chairs.
    assert not any(c["action"].startswith("review") for c in report.changes), report.changes
    note = document["notes"][0]  # one note, as Note.to_json() writes it
    single = run_import(workshop=workshop, actor=chair, fmt="openreview-notes",
                        data=json.dumps(note).encode(), dry_run=True)  # fmt: skip
    assert single.ok and single.counts() == {"paper.create": 1}


def test_mapping_errors_name_the_file_line_value_and_profile():
    report = Report()
    mapping = (
        b"profile_id,email\n~Ok_Person1,ok@example.org\n~Bad_Mail1,bad(at)example.org\n"
        b"Jane Doe,jane@example.org\n~Only_Id1\n"
    )
    data = _zip("groups.json", extra={"people.csv": mapping})
    openreview_people.parse_committee(data, report)
    errors = {str(e["line"]): e["message"] for e in report.errors}
    assert (
        errors["people.csv:3"]
        == "“bad(at)example.org” is not an e-mail address (profile ~Bad_Mail1)."
    )
    assert errors["people.csv:4"] == "“Jane Doe” is not an OpenReview profile id (~Name1)."
    assert errors["people.csv:5"] == "Expected profile_id,email[,name]: found one field."


def test_a_file_without_committee_groups_says_what_it_expected():
    report = Report()
    openreview_people.parse_committee(b'[{"id": "OSLLM.org/2026/Workshop/Authors", '
                                      b'"members": ["a@example.org"]}]', report)  # fmt: skip
    assert report.errors[-1]["message"].startswith("No committee group here")
    assert "not a committee group" in report.warnings[0]["message"]


def test_affinities_by_profile_id_resolve_through_the_mapping_in_their_zip(ws):
    """OpenReview's matching data names reviewers by profile id (headerless rows of forum
    id, profile id, score): with the profiles or a mapping next to it, they resolve."""
    from reviews.models import AffinityScore

    workshop, chair = ws
    notes = _zip("notes.json", "profiles.json", "mapping.csv", "groups.json")
    assert run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=notes).ok
    scores = b"fPaper3,~Rey_Four1,0.75\nfPaper3,~Sam_Area1,0.5\n"
    alone = run_import(workshop=workshop, actor=chair, fmt="openreview-affinity", data=scores,
                       dry_run=True)  # fmt: skip
    # The committee came with the notes' groups: their profile ids are known from then on.
    assert alone.ok, alone.errors
    data = _zip("profiles.json", "mapping.csv", extra={"affinity.csv": scores})
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-affinity", data=data)
    assert report.ok, report.errors
    stored = {
        (a.user.email, a.score)
        for a in AffinityScore.objects.filter(workshop=workshop).select_related("user")
    }
    assert stored == {("rey@pc.example.org", 0.75), ("sam@pc.example.org", 0.5)}
    two = _zip("mapping.csv", extra={"a.csv": scores, "b.csv": scores})
    refused = run_import(workshop=workshop, actor=chair, fmt="openreview-affinity", data=two,
                         dry_run=True)  # fmt: skip
    assert refused.errors[0]["message"] == (
        "Expected one affinity CSV next to the profiles or the mapping, found a.csv, b.csv."
    )


def test_a_later_affinity_file_finds_members_by_the_profile_ids_of_their_committee_import(ws):
    """The committee import keeps each member's profile id (a source record), so OpenReview's
    affinity scores, which name reviewers by profile id, need no mapping afterwards."""
    from reviews.models import AffinityScore

    workshop, chair = ws
    notes = _zip("notes.json", "profiles.json", "mapping.csv")
    assert run_import(workshop=workshop, actor=chair, fmt="openreview-notes", data=notes).ok
    scores = b"fPaper3,~Rey_Four1,0.75\nfPaper3,~Sam_Area1,0.5\n"
    before = run_import(workshop=workshop, actor=chair, fmt="openreview-affinity", data=scores,
                        dry_run=True)  # fmt: skip
    assert not before.ok and before.errors[0]["message"].startswith(  # nobody knows them yet
        "Unknown reviewer ~rey_four1: an OpenReview profile id; people are known here by "
        "e-mail. Upload the scores in a zip with the profiles"
    )
    committee = _zip("groups.json", "profiles.json", "mapping.csv")
    assert run_import(workshop=workshop, actor=chair, fmt="openreview-committee", data=committee).ok
    assert SourceRecord.objects.filter(workshop=workshop, kind="member").count() >= 2
    report = run_import(workshop=workshop, actor=chair, fmt="openreview-affinity", data=scores)
    assert report.ok, report.errors
    stored = {
        (a.user.email, a.score)
        for a in AffinityScore.objects.filter(workshop=workshop).select_related("user")
    }
    assert stored == {("rey@pc.example.org", 0.75), ("sam@pc.example.org", 0.5)}
