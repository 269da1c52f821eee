"""A restore never sends mail, archives are signed, and a damaged archive is named
(issue 30, findings 3 and 5).

* Restored mails arrive as history: delivered ones as they were, every other status
  cancelled with a note, nothing enqueued; the sweep, the digest, a release or a retry sends
  none of them. A crafted archive with a queued "reset your password" mail sends nothing.
* `MANIFEST.sig` is this deployment's HMAC of the manifest: an unsigned archive, another
  deployment's, or one changed and re-manifested after its export is refused unless the
  administrator allows it explicitly (`allow_unsigned`, the admin checkbox,
  `--allow-unsigned`), and then restored with a warning. A copy of one of this deployment's
  own workshops (`--slug ...-copy`) restores as before, mail included.
* A zip member whose CRC-32 lies and a reference to a row the archive does not hold are
  reported by name (member, row and field) in the report, the job and on the command line,
  never as "Internal error" or a traceback.

One world for the module: workshop `safe-ws` with a chair and a mail in every outbox status,
exported once (signed here); the originals are then cancelled so that only what a restore
brings could be sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, WorkshopFactory, make_chair
from transfer.archive import MANIFEST, SIGNATURE, archive_export, archive_restore
from transfer.archive import manifest_signature as sign
from transfer.models import JobKind, JobStatus, TransferJob
from transfer.report import Report
from transfer.services import transfer_restore_create
from workshop.models import MailStatus, OutgoingMail, User, Workshop
from workshop.outbox import digests_send, mails_release, mails_retry, outbox_sweep
from workshop.policy import SYSTEM

EVIL = "Please reset your password at http://evil.example/reset"
FOREIGN_KEY = "another deployment's secret key, not this one's"


@dataclass
class World:
    workshop_id: int
    chair_id: int
    admin_id: int
    data: bytes


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        workshop = WorkshopFactory(slug="safe-ws", name="Safe Workshop")
        chair = make_chair(workshop)
        past = timezone.now() - dt.timedelta(days=2)
        for status in MailStatus.values:
            OutgoingMail.objects.create(
                workshop=workshop, recipient=chair, to=chair.email, key=f"safe:{status}",
                kind="notice", subject=f"ZQ mail that was {status}", body_text=EVIL,
                status=status, next_attempt_at=past,
                sent_at=past if status in (MailStatus.SENT, MailStatus.DIGESTED) else None,
                claimed_at=past if status == MailStatus.SENDING else None,
            )  # fmt: skip
        data = archive_export(workshop=workshop)
        OutgoingMail.objects.filter(workshop=workshop).update(status=MailStatus.CANCELLED)
        admin = UserFactory(is_superuser=True, is_staff=True)
        yield World(workshop.pk, chair.pk, admin.pk, data)
        transaction.set_rollback(True)


def rebuild(
    data: bytes,
    edit: Callable[[dict[str, Any]], None] | None = None,
    *,
    signed: bool = True,
    secret: str | None = None,
    keep_signature: bool = False,
) -> bytes:
    """The archive `data` with `edit` applied to its document, the manifest recomputed (as
    anybody can), signed with this deployment's key (or `secret`), unsigned, or with the
    original signature kept."""
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = {n: source.read(n) for n in source.namelist() if n not in (MANIFEST, SIGNATURE)}
    if edit is not None:
        document = json.loads(entries["workshop.json"])
        edit(document)
        entries["workshop.json"] = json.dumps(document, indent=1, sort_keys=True).encode()
    manifest = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in entries.items())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in entries.items():
            out.writestr(name, content)
        out.writestr(MANIFEST, manifest)
        if keep_signature:
            out.writestr(SIGNATURE, source.read(SIGNATURE))
        elif signed:
            out.writestr(SIGNATURE, sign(manifest.encode(), secret) + "\n")
    return buffer.getvalue()


def with_evil_mail(document: dict[str, Any]) -> None:
    mails = document["models"]["workshop.OutgoingMail"]
    mails.append(
        {**mails[0], "id": len(mails) + 1, "key": "evil:1", "status": MailStatus.QUEUED,
         "to": "victim@example.org", "subject": "Password reset", "body_text": EVIL,
         "sent_at": None, "claimed_at": None}
    )  # fmt: skip


def nothing_sendable_here(mailoutbox) -> None:
    """Every way mail leaves the outbox, run over everything the restores brought."""
    ids = list(OutgoingMail.objects.values_list("pk", flat=True))
    outbox_sweep()
    digests_send()
    mails_release(ids)
    mails_retry(ids)
    outbox_sweep()
    assert mailoutbox == [], [m.subject for m in mailoutbox]


def restore(data: bytes, slug: str, **kw: Any) -> tuple[Workshop | None, Report]:
    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report, slug=slug, **kw)
    return restored, report


def where_and_messages(report: Report | dict[str, Any]) -> list[tuple[Any, str]]:
    errors = report.errors if isinstance(report, Report) else report["errors"]
    return [(e["line"], e["message"]) for e in errors]


# --- Mail arrives as history ------------------------------------------------------------------
@pytest.mark.django_db
def test_restored_mails_are_history_whatever_their_status(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        restored, report = restore(world.data, "safe-ws-copy")
    assert restored is not None, report.errors
    assert callbacks == []  # nothing enqueued, mail or otherwise
    mails = {m.subject: m for m in OutgoingMail.objects.filter(workshop=restored)}
    assert len(mails) == len(MailStatus.values)
    for status in MailStatus.values:
        mail = mails[f"ZQ mail that was {status}"]
        if status in (MailStatus.SENT, MailStatus.DIGESTED):
            assert (mail.status, mail.last_error) == (status, "")
        else:
            assert mail.status == MailStatus.CANCELLED, status
            assert mail.last_error == (
                f"Restored from an archive (was {status}): history, never sent from here."
            )
            assert mail.claimed_at is None
    # The same deployment's copy: the original's keys are taken, the copy's are prefixed.
    assert all(m.key.startswith("restored:safe-ws-copy:") for m in mails.values())
    assert any(c["action"] == "mail.cancel" for c in report.changes)
    nothing_sendable_here(mailoutbox)


@pytest.mark.django_db
def test_a_crafted_archive_with_a_queued_mail_sends_nothing(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    crafted = rebuild(world.data, with_evil_mail, signed=False)
    with django_capture_on_commit_callbacks() as callbacks:
        restored, report = restore(crafted, "safe-crafted", allow_unsigned=True)
    assert restored is not None, report.errors
    assert callbacks == []
    evil = OutgoingMail.objects.get(workshop=restored, subject="Password reset")
    assert evil.status == MailStatus.CANCELLED and evil.key == "evil:1"
    assert [w["line"] for w in report.warnings] == [SIGNATURE]
    nothing_sendable_here(mailoutbox)


# --- Signatures -------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    "how, expected",
    [
        ("unsigned", "The archive is not signed (MANIFEST.sig is missing)"),
        ("foreign", "The archive's signature is not this deployment's"),
        ("changed", "The archive's signature is not this deployment's"),
    ],
)
def test_an_archive_this_deployment_did_not_sign_needs_the_flag(world, how, expected):
    crafted = {
        "unsigned": lambda: rebuild(world.data, signed=False),
        "foreign": lambda: rebuild(world.data, secret=FOREIGN_KEY),
        # Changed after its export, manifest recomputed: the old signature no longer fits.
        "changed": lambda: rebuild(world.data, with_evil_mail, keep_signature=True),
    }[how]()
    workshops = Workshop.objects.count()
    restored, report = restore(crafted, f"safe-{how}")
    assert restored is None and Workshop.objects.count() == workshops
    [(line, message)] = where_and_messages(report)
    assert line == SIGNATURE and message.startswith(expected), message
    assert "--allow-unsigned" in message and "Restore an unsigned or foreign archive" in message

    restored, report = restore(crafted, f"safe-{how}", allow_unsigned=True)
    assert restored is not None and report.ok, report.errors
    [warning] = report.warnings
    assert warning["line"] == SIGNATURE and warning["message"].startswith(expected)


@pytest.mark.django_db
def test_this_deployments_archive_needs_no_flag_even_after_a_key_rotation(world, settings):
    restored, report = restore(world.data, "safe-own")
    assert restored is not None and report.ok and report.warnings == []
    old_key = "the key this deployment had before its rotation"
    signed_before = rebuild(world.data, secret=old_key)
    assert restore(signed_before, "safe-rotated-refused")[0] is None
    settings.SECRET_KEY_FALLBACKS = [old_key]
    restored, report = restore(signed_before, "safe-rotated")
    assert restored is not None and report.warnings == [], report.errors


@pytest.mark.django_db
def test_the_export_is_signed_and_still_byte_for_byte_stable(world):
    workshop = Workshop.objects.get(pk=world.workshop_id)
    again = archive_export(workshop=workshop)
    archive = zipfile.ZipFile(io.BytesIO(again))
    assert archive.read(SIGNATURE).decode().strip() == sign(archive.read(MANIFEST))
    assert archive_export(workshop=workshop) == again


# --- Damaged archives are named -----------------------------------------------------------------
def lying_crc(data: bytes) -> bytes:
    """The archive with workshop.json stored uncompressed and one byte of it changed after
    the CRC-32 was written: the zip's own checksum lies about the content."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
        for name in source.namelist():
            out.writestr(name, source.read(name))
    raw = buffer.getvalue()
    at = raw.index(b'"format": "workshop-archive"')
    return raw[:at] + raw[at:].replace(b"workshop-archive", b"workshop-archivE", 1)


def missing_user(document: dict[str, Any]) -> None:
    document["models"]["workshop.Membership"][0]["user"] = 999


def missing_paper(document: dict[str, Any]) -> None:
    document["models"]["workshop.OutgoingMail"][0]["submission_id"] = 998


DAMAGED = {
    "lying CRC": (
        lying_crc,
        "workshop.json",
        "workshop.json is damaged in the zip: its content does not match its CRC-32 checksum.",
    ),
    "missing user": (
        lambda data: rebuild(data, missing_user),
        "workshop.Membership#1.user",
        "refers to workshop.User #999, which the archive does not hold.",
    ),
    "missing paper": (
        lambda data: rebuild(data, missing_paper),
        "workshop.OutgoingMail#1.submission_id",
        "refers to submissions.Submission #998, which the archive does not hold.",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_archive_is_named_in_the_report(world, damage):
    make, line, message = DAMAGED[damage]
    workshops = Workshop.objects.count()
    restored, report = restore(make(world.data), "safe-damaged", allow_unsigned=True)
    assert restored is None and Workshop.objects.count() == workshops
    assert where_and_messages(report) == [(line, message)]


@pytest.mark.django_db
@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_archive_is_named_in_the_job_report(
    world, damage, django_capture_on_commit_callbacks
):
    make, line, message = DAMAGED[damage]
    admin = User.objects.get(pk=world.admin_id)
    with django_capture_on_commit_callbacks(execute=True):
        job = transfer_restore_create(
            actor=admin, data=make(world.data), slug="safe-job", dry_run=False,
            allow_unsigned=True,
        )  # fmt: skip
    job.refresh_from_db()
    assert job.status == JobStatus.DONE  # the file's fault, reported; not a failed job
    assert where_and_messages(job.report) == [(line, message)]
    assert "Internal error" not in json.dumps(job.report)


@pytest.mark.django_db
@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_archive_is_named_on_the_command_line(world, damage, tmp_path, capsys):
    make, line, message = DAMAGED[damage]
    path = tmp_path / "damaged.zip"
    path.write_bytes(make(world.data))
    with pytest.raises(CommandError, match=r"1 problem: nothing was changed"):
        call_command("transfer_import", "archive", str(path), "--slug", "safe-cli",
                     "--allow-unsigned")  # fmt: skip
    assert f"error  {line}: {message}" in capsys.readouterr().out


# --- The command line and the admin -----------------------------------------------------------
@pytest.mark.django_db
def test_the_command_restores_a_foreign_archive_only_with_allow_unsigned(
    world, tmp_path, capsys, mailoutbox
):
    foreign = tmp_path / "foreign.zip"
    foreign.write_bytes(rebuild(world.data, with_evil_mail, secret=FOREIGN_KEY))
    with pytest.raises(CommandError):
        call_command("transfer_import", "archive", str(foreign), "--slug", "safe-cli-foreign")
    assert f"error  {SIGNATURE}: The archive's signature" in capsys.readouterr().out
    assert not Workshop.objects.filter(slug="safe-cli-foreign").exists()
    call_command("transfer_import", "archive", str(foreign), "--slug", "safe-cli-foreign",
                 "--allow-unsigned")  # fmt: skip
    out = capsys.readouterr().out
    assert f"warn   {SIGNATURE}: The archive's signature" in out and "Made" in out
    assert Workshop.objects.filter(slug="safe-cli-foreign").exists()
    nothing_sendable_here(mailoutbox)


@pytest.mark.django_db
def test_the_command_copies_this_deployments_workshop_without_a_flag(world, tmp_path, capsys):
    own = tmp_path / "own.zip"
    call_command("transfer_export", "--workshop", "safe-ws", "-o", str(own))
    call_command("transfer_import", "archive", str(own), "--slug", "safe-ws-cli-copy")
    out = capsys.readouterr().out
    assert "warn" not in out and "Made" in out
    copy = Workshop.objects.get(slug="safe-ws-cli-copy")
    assert OutgoingMail.objects.filter(workshop=copy).count() == len(MailStatus.values)


@pytest.mark.django_db
def test_the_admin_restores_a_foreign_archive_only_with_the_checkbox(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(User.objects.get(pk=world.admin_id))
    url = reverse("admin:transfer_restore")
    page = client.get(url).content.decode()
    assert 'name="allow_unsigned"' in page and "Restore an unsigned or foreign archive" in page
    foreign = rebuild(world.data, secret=FOREIGN_KEY)

    def post(**extra: str) -> TransferJob:
        upload = io.BytesIO(foreign)
        upload.name = "foreign.zip"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"file": upload, "slug": "safe-admin", **extra})
        assert response.status_code == 302
        return TransferJob.objects.filter(kind=JobKind.RESTORE).latest("pk")

    refused = post(dry_run="on")
    assert not refused.report["ok"] and not refused.allow_unsigned
    assert where_and_messages(refused.report)[0][0] == SIGNATURE

    dry = post(dry_run="on", allow_unsigned="on")
    assert dry.report["ok"] and dry.allow_unsigned, dry.report
    page = client.get(reverse("admin:transfer_transferjob_change", args=[dry.pk]))
    assert "The archive&#x27;s signature is not this deployment&#x27;s" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:transfer_confirm", args=[dry.pk]))
    real = TransferJob.objects.filter(kind=JobKind.RESTORE, dry_run=False).latest("pk")
    assert real.allow_unsigned and real.report["ok"], real.report
    assert [w["line"] for w in real.report["warnings"]] == [SIGNATURE]
    assert Workshop.objects.filter(slug="safe-admin").exists()


@pytest.mark.django_db
def test_a_malformed_value_is_named_by_its_row_not_an_internal_error(world, tmp_path, capsys):
    def bad_date(document: dict[str, Any]) -> None:
        document["models"]["workshop.Workshop"][0]["paper_deadline"] = "next Tuesday"

    path = tmp_path / "malformed.zip"
    path.write_bytes(rebuild(world.data, bad_date))
    with pytest.raises(CommandError):
        call_command("transfer_import", "archive", str(path), "--slug", "safe-malformed")
    out = capsys.readouterr().out
    assert "error  workshop.Workshop#1: A malformed row: ValueError: " in out, out
    assert not Workshop.objects.filter(slug="safe-malformed").exists()
