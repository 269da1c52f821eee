"""A migration driven through /api/v1/: upload a file (a dry run), read the job's progress
and report (the per-kind fates table too), apply it, list the jobs; export and download.
The same rules as the admin's import page: the workshop's chairs only (a reviewer's token
403, another workshop's chair 404), and a token needs its transfer scope."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from api.services import token_create
from submissions.models import Submission
from tests.factories import MembershipFactory, TopicFactory, WorkshopFactory, make_chair
from transfer.models import JobKind, JobStatus, TransferJob
from workshop.errors import ServiceError
from workshop.models import Role

from .world import auth

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data" / "transfer"


@pytest.fixture
def world():
    workshop = WorkshopFactory(slug="api-move")
    for name in ("Efficiency", "Evaluation", "Safety"):
        TopicFactory(workshop=workshop, name=name)
    other = WorkshopFactory(slug="api-other")
    chair = make_chair(workshop)
    reviewer = MembershipFactory(workshop=workshop, role=Role.REVIEWER).user
    other_chair = make_chair(other)

    def token(user, scope="read-write", transfer="transfer:write", workshops=None):
        return token_create(user=user, name="migration", scope=scope, transfer=transfer,
                            workshops=workshops or [workshop])[1]  # fmt: skip

    return {
        "ws": workshop, "chair": chair, "token": token,
        "chair_key": token(chair), "reviewer_key": token(reviewer),
        "other_key": token(other_chair, workshops=[other]),
    }  # fmt: skip


def _file(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def _upload(client, key, fmt="hotcrp-papers", content=None, dry_run=True, slug="api-move"):
    content = content if content is not None else (DATA / "hotcrp-papers.json").read_bytes()
    body = {"format": fmt, "file": _file("papers.json", content), "dry_run": dry_run}
    return client.post(reverse("api:imports", args=[slug]), body, **auth(key))


def test_the_whole_flow_dry_run_report_apply_list_export_download(
    client, world, django_capture_on_commit_callbacks
):
    key = world["chair_key"]
    with django_capture_on_commit_callbacks(execute=True):
        created = _upload(client, key)
    assert created.status_code == 201, created.content
    dry = created.json()
    assert dry["kind"] == "import" and dry["dry_run"] and dry["format"] == "hotcrp-papers"
    # Celery runs eagerly on commit: the job the answer names is already done.
    job = client.get(reverse("api:import", args=["api-move", dry["id"]]), **auth(key)).json()
    assert job["status"] == JobStatus.DONE and job["report"]["ok"] is True
    assert job["progress"] == {"done": 3, "total": 3, "percent": 100}
    assert job["report"]["dry_run"] is True and job["report"]["counts"]["paper.create"] == 3
    assert not Submission.objects.filter(workshop=world["ws"]).exists()
    fates = job["report"]["fields"]
    assert fates and {"kind", "field", "fate", "count"} <= set(fates[0])
    assert {"kind": "paper", "field": "pc_conflicts", "count": 1,
            "fate": "kept: set when they join the committee"} in fates  # fmt: skip
    assert job["apply_url"] == reverse("api:import-apply", args=["api-move", dry["id"]])

    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(job["apply_url"], **auth(key))
    assert applied.status_code == 201, applied.content
    real = TransferJob.objects.get(pk=applied.json()["id"])
    assert real.status == JobStatus.DONE and not real.dry_run and real.created_by == world["chair"]
    assert Submission.objects.filter(workshop=world["ws"]).count() == 3
    real_data = client.get(reverse("api:import", args=["api-move", real.pk]), **auth(key)).json()
    assert real_data["report"]["dry_run"] is False and real_data["apply_url"] is None

    listing = client.get(reverse("api:imports", args=["api-move"]), **auth(key)).json()
    assert [j["id"] for j in listing["results"]] == [real.pk, dry["id"]]

    with django_capture_on_commit_callbacks(execute=True):
        export = client.post(reverse("api:exports", args=["api-move"]), {"format": "hotcrp"},
                             content_type="application/json", **auth(key))  # fmt: skip
    assert export.status_code == 201, export.content
    export_id = export.json()["id"]
    detail = client.get(reverse("api:export-job", args=["api-move", export_id]), **auth(key))
    assert detail.json()["status"] == JobStatus.DONE
    download = client.get(detail.json()["download_url"], **auth(key))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith("attachment")
    files = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()
    assert "papers.json" in files
    with django_capture_on_commit_callbacks(execute=True):
        notes = client.post(reverse("api:exports", args=["api-move"]), {"format": "openreview"},
                            content_type="application/json", **auth(key)).json()  # fmt: skip
    notes = client.get(
        reverse("api:export-job", args=["api-move", notes["id"]]), **auth(key)
    ).json()
    as_json = client.get(notes["download_url"], **auth(key))
    assert as_json["Content-Type"] == "application/json"
    assert 'filename="api-move-openreview.json"' in as_json["Content-Disposition"]
    exports = client.get(reverse("api:exports", args=["api-move"]), **auth(key)).json()
    assert [j["id"] for j in exports["results"]] == [notes["id"], export_id]  # no imports


def test_an_unfinished_dry_run_cannot_be_applied_nor_an_export_downloaded(client, world):
    """Without running the on-commit task the jobs wait: 409, saying what to wait for."""
    key = world["chair_key"]
    dry = _upload(client, key).json()
    assert dry["status"] == JobStatus.PENDING and dry["apply_url"] is None
    refused = client.post(reverse("api:import-apply", args=["api-move", dry["id"]]), **auth(key))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_finished"
    assert "not finished" in refused.json()["error"]["message"]
    export = client.post(reverse("api:exports", args=["api-move"]), **auth(key)).json()
    assert export["format"] == "archive" and export["download_url"] is None
    waiting = client.get(reverse("api:export-download", args=["api-move", export["id"]]),
                         **auth(key))  # fmt: skip
    assert waiting.status_code == 409 and "still running" in waiting.json()["error"]["message"]
    assert TransferJob.objects.count() == 2


def test_a_dry_run_with_problems_is_not_applied(client, world, django_capture_on_commit_callbacks):
    """A file the parser reads whose records do not fit the workshop (affinities of papers and
    reviewers it does not have): the report names them by line, apply is refused."""
    key = world["chair_key"]
    content = (DATA / "openreview-affinity.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        dry = _upload(client, key, fmt="openreview-affinity", content=content).json()
    job = client.get(reverse("api:import", args=["api-move", dry["id"]]), **auth(key)).json()
    assert job["status"] == JobStatus.DONE and job["report"]["ok"] is False, job["report"]
    assert job["apply_url"] is None and job["report"]["errors"]
    assert all(isinstance(e["line"], int) and e["line"] >= 2 for e in job["report"]["errors"])
    refused = client.post(reverse("api:import-apply", args=["api-move", dry["id"]]), **auth(key))
    assert refused.status_code == 400 and "found problems" in refused.json()["error"]["message"]
    assert TransferJob.objects.count() == 1


def test_a_bad_file_is_refused_at_upload_with_its_problems(client, world):
    key = world["chair_key"]
    not_json = _upload(client, key, content=b"\x89PNG not json")
    assert not_json.status_code == 400
    error = not_json.json()["error"]
    assert error["code"] == "invalid_file"
    assert error["message"].startswith("The file cannot be imported as HotCRP paper JSON: ")
    assert error["fields"]["file"]
    bad_address = _upload(client, key, fmt="hotcrp-pc",
                          content=b"email,first\nnot-an-address,A\n")  # fmt: skip
    message = bad_address.json()["error"]["message"]
    assert bad_address.status_code == 400 and "not-an-address" in message, message
    empty = _upload(client, key, content=b"")
    assert empty.status_code == 400
    unknown = _upload(client, key, fmt="word-document")
    assert unknown.status_code == 400 and "format" in unknown.json()["error"]["fields"]
    assert not TransferJob.objects.exists()  # no job for a file that cannot be read


def test_a_reviewer_and_another_workshops_chair_are_refused(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = _upload(client, world["chair_key"]).json()["id"]
    export_id = client.post(reverse("api:exports", args=["api-move"]),
                            **auth(world["chair_key"])).json()["id"]  # fmt: skip
    urls = [
        ("get", reverse("api:imports", args=["api-move"])),
        ("get", reverse("api:import", args=["api-move", job_id])),
        ("post", reverse("api:import-apply", args=["api-move", job_id])),
        ("get", reverse("api:exports", args=["api-move"])),
        ("post", reverse("api:exports", args=["api-move"])),
        ("get", reverse("api:export-job", args=["api-move", export_id])),
        ("get", reverse("api:export-download", args=["api-move", export_id])),
    ]
    for method, url in urls:
        reviewer = getattr(client, method)(url, **auth(world["reviewer_key"]))
        assert reviewer.status_code == 403, (url, reviewer.content)
        assert reviewer.json()["error"]["code"] == "not_allowed"
        # Their token does not reach the workshop: as if it did not exist.
        other = getattr(client, method)(url, **auth(world["other_key"]))
        assert other.status_code == 404, (url, other.content)
    assert _upload(client, world["reviewer_key"]).status_code == 403
    # The other chair's own workshop does not hold this job either.
    assert client.get(reverse("api:import", args=["api-other", job_id]),
                      **auth(world["other_key"])).status_code == 404  # fmt: skip
    assert TransferJob.objects.count() == 2


def test_a_token_without_the_transfer_scope_is_refused(client, world):
    chair = world["chair"]
    plain = world["token"](chair, transfer="")
    reader = world["token"](chair, transfer="transfer:read")
    for key in (plain,):
        refused = client.get(reverse("api:imports", args=["api-move"]), **auth(key))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "token_transfer_scope"
        assert _upload(client, key).status_code == 403
    # transfer:read reads the jobs but runs none.
    assert client.get(reverse("api:imports", args=["api-move"]), **auth(reader)).status_code == 200
    refused = _upload(client, reader)
    assert refused.status_code == 403 and "transfer:write" in refused.json()["error"]["message"]
    assert not TransferJob.objects.exists()
    # A read-only token is not given transfer:write at all.
    with pytest.raises(ServiceError, match="read-only token cannot run imports"):
        world["token"](chair, scope="read", transfer="transfer:write")


def test_the_job_list_reads_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    """Listing jobs costs the same at 2 and at 12 jobs (no query per job)."""
    key = world["chair_key"]
    url = reverse("api:imports", args=["api-move"])

    def make(n: int) -> None:
        for _ in range(n):
            TransferJob.objects.create(workshop=world["ws"], kind=JobKind.IMPORT,
                                       format="hotcrp-pc", created_by=world["chair"])  # fmt: skip

    make(2)
    client.get(url, **auth(key))  # the token's first use writes its last_used_at
    with django_assert_max_num_queries(8) as small:
        assert client.get(url, **auth(key)).status_code == 200
    make(10)
    with django_assert_max_num_queries(8) as large:
        assert len(client.get(url, **auth(key)).json()["results"]) == 12
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_token_page_and_the_command_grant_the_transfer_scope(client, world):
    import io

    from django.core.management import call_command

    from api.models import ApiToken

    chair = world["chair"]
    client.force_login(chair)
    form = client.get(reverse("api_tokens:new")).content.decode()
    assert 'value="transfer:write"' in form and "Imports and exports" in form
    client.post(reverse("api_tokens:new"), {
        "name": "mover", "workshops": [world["ws"].pk], "scope": "read-write",
        "transfer": "transfer:write", "expires_in_days": "30"})  # fmt: skip
    assert ApiToken.objects.get(name="mover").transfer == "transfer:write"
    refused = client.post(reverse("api_tokens:new"), {
        "name": "ro-mover", "workshops": [world["ws"].pk], "scope": "read",
        "transfer": "transfer:write", "expires_in_days": "30"}).content.decode()  # fmt: skip
    assert "read-only token cannot run imports" in refused
    assert not ApiToken.objects.filter(name="ro-mover").exists()
    out = io.StringIO()
    call_command("api_token_create", "--user", chair.email, "--workshop", "api-move",
                 "--scope", "rw", "--transfer", "read",
                 stdout=out, stderr=io.StringIO())  # fmt: skip
    key = out.getvalue().strip()
    assert client.get(reverse("api:exports", args=["api-move"]), **auth(key)).status_code == 200
    assert client.post(reverse("api:exports", args=["api-move"]), **auth(key)).status_code == 403


def test_apply_confirms_or_corrects_the_score_mappings_of_the_dry_run(
    client, world, django_capture_on_commit_callbacks
):
    """EasyChair's 1..10 "Overall evaluation" onto our 1..5: the dry run's job shows the
    proposed mapping; apply takes it, or the chair's correction, or refuses a correction
    that leaves a value without a score (naming it)."""
    from reviews.services.reviewing import default_form_create
    from tests.transfer.easychair_files import files, zipped

    default_form_create(world["ws"])  # our form: "Overall recommendation" 1..5
    key = world["chair_key"]
    with django_capture_on_commit_callbacks(execute=True):
        dry = _upload(client, key, fmt="easychair", content=zipped(files())).json()
    job = client.get(reverse("api:import", args=["api-move", dry["id"]]), **auth(key)).json()
    assert job["report"]["ok"], job["report"]["errors"]
    overall = next(m for m in job["report"]["mappings"] if m["field"] == "Overall evaluation")
    assert overall["identity"] is False and overall["confirmed"] is False
    assert [8, 5] in overall["table"]  # the proposal: 8 of 10 is 5 of 5
    apply = reverse("api:import-apply", args=["api-move", dry["id"]])
    table = {str(k): (k + 1) // 2 for k, _ in overall["table"]}
    refused = client.post(apply, {"score_maps": {"Overall evaluation": {"1": 1}}},
                          content_type="application/json", **auth(key))  # fmt: skip
    assert refused.status_code == 400
    assert (
        "Overall evaluation: the corrected mapping gives no score for"
        in (refused.json()["error"]["message"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(apply, {"score_maps": {"Overall evaluation": table}},
                              content_type="application/json", **auth(key))  # fmt: skip
    assert applied.status_code == 201, applied.content
    real = client.get(reverse("api:import", args=["api-move", applied.json()["id"]]),
                      **auth(key)).json()  # fmt: skip
    assert real["report"]["ok"], real["report"]["errors"]
    assert real["options"]["score_maps"]["overall evaluation"]["8"] == 4


def test_a_parser_that_fails_refuses_the_upload_instead_of_a_server_error(
    client, world, monkeypatch
):
    from transfer.importers import FORMATS

    def broken(data, report):
        raise KeyError("scores")

    monkeypatch.setitem(FORMATS, "hotcrp-pc", ("HotCRP PC list CSV", broken))
    refused = _upload(client, world["chair_key"], fmt="hotcrp-pc", content=b"email\na@b.org\n")
    assert refused.status_code == 400
    assert "could not be read (KeyError: 'scores')" in refused.json()["error"]["message"]
    assert not TransferJob.objects.exists()
