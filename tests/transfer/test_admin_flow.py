"""The chair's import page: upload, dry-run report, confirm, the job completes, progress is
visible; exports download; another workshop's chair sees none of it."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from submissions.models import Submission
from tests.factories import TopicFactory, WorkshopFactory, make_chair
from transfer.models import JobStatus, TransferJob
from workshop.models import Activity

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data" / "transfer"


@pytest.fixture
def world():
    workshop = WorkshopFactory(slug="flow-ws")
    for name in ("Efficiency", "Evaluation", "Safety"):
        TopicFactory(workshop=workshop, name=name)
    other = WorkshopFactory(slug="flow-other")
    return {"ws": workshop, "chair": make_chair(workshop), "other_chair": make_chair(other)}


def _upload(client, workshop, dry_run: bool = True):
    data = {
        "workshop": workshop.pk,
        "format": "hotcrp-papers",
        "file": io.BytesIO((DATA / "hotcrp-papers.json").read_bytes()),
    }
    if dry_run:
        data["dry_run"] = "on"
    data["file"].name = "papers.json"
    return client.post(reverse("admin:transfer_transferjob_add"), data)


def test_upload_dry_run_report_confirm_and_progress(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["chair"])
    page = client.get(reverse("admin:transfer_transferjob_add"))
    assert page.status_code == 200 and "HotCRP paper JSON" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, world["ws"])
    job = TransferJob.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/{job.pk}/change/")
    assert job.status == JobStatus.DONE and job.dry_run and job.report["ok"]
    assert not Submission.objects.filter(workshop=world["ws"]).exists()

    page = client.get(response.url).content.decode()
    assert "What would change" in page and "Sparse Mixture Routing for Open Models" in page
    assert "record 3" in page and "Confirm: import for real" in page
    assert "<script>" not in page and 'style="' not in page

    progress = client.get(reverse("admin:transfer_progress", args=[job.pk])).content.decode()
    assert "Done" in progress and "3 of 3" in progress

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(reverse("admin:transfer_confirm", args=[job.pk]))
    real = TransferJob.objects.exclude(pk=job.pk).get()
    assert confirmed.url.endswith(f"/{real.pk}/change/")
    assert real.status == JobStatus.DONE and not real.dry_run
    assert Submission.objects.filter(workshop=world["ws"]).count() == 3
    page = client.get(confirmed.url).content.decode()
    assert "Imported: " in page and "What changed" in page
    assert Activity.objects.filter(workshop=world["ws"], action="transfer.import").count() == 1


def test_a_bad_file_shows_the_lines_and_cannot_be_confirmed(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["chair"])
    data = {
        "workshop": world["ws"].pk,
        "format": "hotcrp-pc",
        "dry_run": "on",
        "file": io.BytesIO(b"email,first\nnot-an-address,A\n"),
    }
    data["file"].name = "pc.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:transfer_transferjob_add"), data)
    page = client.get(response.url).content.decode()
    assert "Nothing was changed." in page and "Not an e-mail address" in page
    job = TransferJob.objects.get()
    client.post(reverse("admin:transfer_confirm", args=[job.pk]))
    assert TransferJob.objects.count() == 1


def test_another_workshops_chair_sees_nothing(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["chair"])
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, world["ws"])
    job = TransferJob.objects.get()
    client.force_login(world["other_chair"])
    for name in (
        "admin:transfer_transferjob_change",
        "admin:transfer_progress",
        "admin:transfer_download",
    ):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("admin:transfer_confirm", args=[job.pk])).status_code == 404
    listing = client.get(reverse("admin:transfer_transferjob_changelist")).content.decode()
    assert "hotcrp-papers" not in listing
    # the upload form offers only the chair's own workshops
    response = _upload(client, world["ws"])
    assert response.status_code == 200 and TransferJob.objects.count() == 1


def test_export_downloads_the_archive(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["chair"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:transfer_export"), {"workshop": world["ws"].pk})
    job = TransferJob.objects.get(kind="export")
    assert job.status == JobStatus.DONE
    page = client.get(response.url).content.decode()
    assert "Download the archive" in page
    download = client.get(reverse("admin:transfer_download", args=[job.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert {"workshop.json", "MANIFEST.sha256"} <= set(archive.namelist())
    assert b"flow-ws" in archive.read("workshop.json")


def test_export_to_hotcrp_downloads_its_files(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["chair"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:transfer_export"), {"workshop": world["ws"].pk, "format": "hotcrp"}
        )
    job = TransferJob.objects.get(kind="export", format="hotcrp")
    assert job.status == JobStatus.DONE
    assert "Download the HotCRP files" in client.get(response.url).content.decode()
    download = client.get(reverse("admin:transfer_download", args=[job.pk]))
    files = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert set(files.namelist()) == {"papers.json", "reviews.json", "settings.json", "pc.csv"}


def test_the_commands_import_and_export(world, tmp_path, capsys):
    call_command(
        "transfer_import",
        "hotcrp-papers",
        str(DATA / "hotcrp-papers.json"),
        "--workshop",
        "flow-ws",
        "--dry-run",
    )
    assert "Would make" in capsys.readouterr().out
    assert not Submission.objects.filter(workshop=world["ws"]).exists()
    call_command(
        "transfer_import",
        "hotcrp-papers",
        str(DATA / "hotcrp-papers.json"),
        "--workshop",
        "flow-ws",
    )
    assert Submission.objects.filter(workshop=world["ws"]).count() == 3
    out = tmp_path / "flow.zip"
    call_command("transfer_export", "--workshop", "flow-ws", "-o", str(out))
    call_command("transfer_import", "archive", str(out), "--slug", "flow-copy", "--dry-run")
    assert "Would make" in capsys.readouterr().out
    call_command("transfer_import", "archive", str(out), "--slug", "flow-copy")
    assert Submission.objects.filter(workshop__slug="flow-copy").count() == 3


def test_the_job_list_costs_the_same_queries_at_two_sizes(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world["chair"])
    url = reverse("admin:transfer_transferjob_changelist")

    def add(n: int) -> None:
        for _ in range(n):
            TransferJob.objects.create(
                workshop=world["ws"], kind="import", format="hotcrp-pc", created_by=world["chair"]
            )

    add(2)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert "hotcrp-pc" in client.get(url).content.decode()
    add(20)
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)


def test_an_administrator_restores_an_archive_as_a_new_workshop(
    client, world, django_capture_on_commit_callbacks
):
    from transfer.archive import archive_export
    from workshop.models import Workshop

    with django_capture_on_commit_callbacks(execute=True):
        _upload(client_as(client, world["chair"]), world["ws"], dry_run=False)
    archive = archive_export(workshop=world["ws"])
    papers = Submission.objects.filter(workshop=world["ws"]).count()
    assert papers == 3

    # A chair may not restore (it makes a new workshop): no such page.
    restore = reverse("admin:transfer_restore")
    assert client.get(restore).status_code == 404
    upload = io.BytesIO(archive)
    upload.name = "flow.zip"
    assert client.post(restore, {"file": upload, "slug": "x"}).status_code == 404
    assert not Workshop.objects.filter(slug="x").exists()

    admin = make_chair(WorkshopFactory(slug="admin-own"))
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    assert client.get(restore).status_code == 200
    upload = io.BytesIO(archive)
    upload.name = "flow.zip"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(restore, {"file": upload, "slug": "flow-copy", "dry_run": "on"})
    job = TransferJob.objects.get(kind="restore")
    assert response.url.endswith(f"/{job.pk}/change/")
    assert job.status == JobStatus.DONE and job.report["ok"], job.report
    assert not Workshop.objects.filter(slug="flow-copy").exists()  # a dry run
    page = client.get(response.url).content.decode()
    assert "Confirm" in page

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(reverse("admin:transfer_confirm", args=[job.pk]))
    real = TransferJob.objects.filter(kind="restore", dry_run=False).get()
    assert confirmed.url.endswith(f"/{real.pk}/change/"), real.report
    copy = Workshop.objects.get(slug="flow-copy")
    assert real.workshop == copy and real.report["ok"]
    assert Submission.objects.filter(workshop=copy).count() == papers
    assert Activity.objects.filter(workshop=copy, action="transfer.restore").count() == 1


def client_as(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def test_an_unknown_export_format_is_refused_not_turned_into_an_archive(world):
    from transfer.services import transfer_job_create
    from workshop.errors import ServiceError

    with pytest.raises(ServiceError, match="Unknown export format"):
        transfer_job_create(workshop=world["ws"], chair=world["chair"], kind="export", fmt="cmt")
