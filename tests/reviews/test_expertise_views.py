"""The publication import on the profile page (issue 24): "Preview" keeps the file, so that
"Import" saves it without choosing it again; a broken BibTeX file is reported in words (which
entry, what is wrong), never as a parser's exception name."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reviews.models import Publication
from tests.factories import MembershipFactory, UserFactory, WorkshopFactory
from workshop.models import Role

pytestmark = pytest.mark.django_db

BIB = b"@article{one,\n  title = {Kept Between Clicks},\n  year = 2024\n}\n"
BROKEN = b"@article{one,\n  title = {Fine},\n  year = 2020}\n\n@article{two,\n  title = {Open\n"


@pytest.fixture
def member(client):
    workshop = WorkshopFactory()
    user = UserFactory(name="Pia Preview")
    MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
    client.force_login(user)
    return workshop, user


def _import(client, workshop, *, dry_run: bool, upload: bytes | None = None):
    data = {"format": "auto"}
    if dry_run:
        data["dry_run"] = "1"
    if upload is not None:
        data["file"] = SimpleUploadedFile("mine.bib", upload, content_type="text/plain")
    return client.post(reverse("reviews:publications_import", args=[workshop.slug]), data)


def _profile(client, workshop) -> str:
    return client.get(reverse("reviews:profile", args=[workshop.slug])).content.decode()


def test_preview_keeps_the_file_and_import_saves_it_without_a_new_upload(client, member):
    workshop, user = member
    _import(client, workshop, dry_run=True, upload=BIB)
    page = _profile(client, workshop)
    assert "Preview (nothing saved yet" in page
    assert "Kept from your preview: <strong>mine.bib</strong>" in page
    assert not Publication.objects.filter(user=user).exists()

    response = _import(client, workshop, dry_run=False)  # no file chosen again
    assert response.status_code == 302
    assert list(Publication.objects.filter(user=user).values_list("title", flat=True)) == [
        "Kept Between Clicks"
    ]
    page = _profile(client, workshop)
    assert "Imported: 1 new" in page
    assert "Kept from your preview" not in page  # imported: forgotten
    # With nothing kept any more, "Import" without a file asks for one and changes nothing.
    _import(client, workshop, dry_run=False)
    assert "Choose a file to import" in _profile(client, workshop)
    assert Publication.objects.filter(user=user).count() == 1


def test_a_broken_preview_keeps_nothing_and_a_new_file_replaces_the_kept_one(client, member):
    workshop, user = member
    _import(client, workshop, dry_run=True, upload=BIB)
    _import(client, workshop, dry_run=True, upload=BROKEN)
    page = _profile(client, workshop)
    assert "Kept from your preview" not in page
    _import(client, workshop, dry_run=False)
    assert not Publication.objects.filter(user=user).exists()


def test_a_broken_bibtex_file_is_reported_in_words(client, member):
    workshop, _user = member
    _import(client, workshop, dry_run=True, upload=BROKEN)
    page = _profile(client, workshop)
    assert "Nothing was imported" in page
    assert "line 5: this entry could not be read: the file ends inside this entry" in page
    assert "Exception" not in page
    for text, words in [
        (b"@article{a title = {x}}", "a comma is missing after the entry&#x27;s key"),
        (b"@article{a,\n title={x},\n\n@book{b, title={B}}", "the next entry (@book) starts"),
        (b"@article{a, title={x}}\n@article{a, title={y}}", "the key “a” is used by an earlier"),
        (b"@article{a, title={x}, title={y}}", "a field appears twice in this entry"),
    ]:
        _import(client, workshop, dry_run=True, upload=text)
        page = _profile(client, workshop)
        assert words in page, page[page.find("import-report") :][:600]
        assert "Exception" not in page
