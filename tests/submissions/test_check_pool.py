"""The deep-check pool: a fresh sandboxed process per file, forked from a warm zygote.

The hostile behaviours are played by targets from ``hostile_checks`` substituted for the real
analysis (as the sandbox tests in ``test_deepchecks`` do), plus real hostile PDFs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import pytest

from submissions.filechecks import deep, run_deep_check
from submissions.filechecks.pool import CheckPool, Outcome, check_pool
from tests.pdfs import make_pdf, raw_pdf

HOSTILE = "tests.submissions.hostile_checks"
LIMITS = {"cpu_seconds": 5, "memory_mb": 256, "file_bytes": 1 << 20, "timeout": 20}


@pytest.fixture(scope="module")
def pool() -> Iterator[CheckPool]:
    """One pool for the module, started with credentials in the environment it must drop."""
    names = ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "EMAIL_URL")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({name: f"secret-{name.lower()}" for name in names})
    try:
        started = CheckPool()
        started.run(b"", target=f"{HOSTILE}:inspect", **LIMITS)  # starts the zygote
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield started
    started.close()


def run(pool: CheckPool, target: str, payload: bytes = b"", **limits) -> Outcome:
    return pool.run(payload, target=f"{HOSTILE}:{target}", **{**LIMITS, **limits})


def inspect(pool: CheckPool, payload: bytes = b"", **limits) -> dict:
    outcome = run(pool, "inspect", payload, **limits)
    assert outcome.returncode == 0, outcome.stderr
    return json.loads(outcome.stdout)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent is dead too
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# --- a fresh process per file -----------------------------------------------------------------


def test_every_file_gets_a_fresh_process_forked_from_the_same_zygote(pool):
    first, second = inspect(pool), inspect(pool)
    assert first["pid"] != second["pid"]
    assert first["calls"] == second["calls"] == 1  # no state carried from one file to the next
    assert pool.zygote_pid not in (first["pid"], second["pid"])
    assert not alive(first["pid"]) and not alive(second["pid"])


def test_the_child_is_sandboxed_before_it_reads_the_file(pool):
    seen = inspect(pool, b"payload", cpu_seconds=7, memory_mb=300, file_bytes=12345)
    assert seen["input"] == "payload"
    limits = seen["limits"]
    assert limits["RLIMIT_CPU"] == [7, 9]
    assert limits["RLIMIT_AS"] == [300 << 20, 300 << 20]
    assert limits["RLIMIT_FSIZE"] == [12345, 12345]
    assert limits["RLIMIT_CORE"] == [0, 0]
    assert seen["pgid"] == seen["pid"] == seen["sid"]  # its own group, killed as a whole


def test_identities_and_credentials_never_reach_argv_or_the_environment(pool):
    seen = inspect(pool, b'{"identities": ["Alice Secret-Author"]}\n%PDF-1.7')
    assert "Alice Secret-Author" in seen["input"]
    assert "Alice Secret-Author" not in seen["cmdline"]
    assert "Alice" not in json.dumps(seen["environ"])
    leaked = [value for value in seen["environ"].values() if value.startswith("secret-")]
    assert leaked == []
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY"}.isdisjoint(seen["environ"])


def test_the_child_has_only_its_channel_and_the_standard_streams(pool):
    fds = inspect(pool)["fds"]
    # 0-2 (stdin/stdout on /dev/null, stderr to the caller), the channel, and the descriptor
    # listdir("/proc/self/fd") itself opened while listing.
    assert fds[:3] == [0, 1, 2] and len(fds) <= 5


def test_the_child_cannot_open_a_network_connection(pool):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        outcome = run(pool, "network", json.dumps({"port": port}).encode() + b"\n")
        assert outcome.returncode == 0, outcome.stderr
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()  # nobody ever connected
    outcomes = json.loads(outcome.stdout)
    assert outcomes == dict.fromkeys(("tcp", "udp", "unix", "tcp6"), "PermissionError")


def test_the_child_cannot_signal_the_zygote_or_anyone_but_itself(pool):
    outcome = run(pool, "signals")
    assert outcome.returncode == 0, outcome.stderr
    assert json.loads(outcome.stdout) == {
        "parent": "PermissionError",
        "itself": "sent",
        "group": "PermissionError",
    }


def test_the_test_server_is_reachable_from_an_unsandboxed_process():
    """Control for the test above: the server and port do accept a connection."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        socket.create_connection(server.getsockname(), timeout=2).close()
        server.settimeout(2)
        server.accept()[0].close()


# --- hostile files are killed and reported; the next file is checked afresh --------------------


def test_a_hanging_file_is_killed_with_its_whole_process_group(pool):
    started = time.monotonic()
    outcome = run(pool, "sleep_with_grandchild", timeout=1)
    assert time.monotonic() - started < 10
    assert outcome.timed_out and outcome.returncode == -signal.SIGKILL
    grandchild = int(outcome.stderr.decode().split("grandchild ", 1)[1].split()[0])
    deadline = time.monotonic() + 5
    while alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(grandchild)
    assert inspect(pool)["calls"] == 1  # the next file: a fresh process, same zygote


def test_a_pdf_that_exhausts_memory_is_stopped_and_the_next_one_is_checked():
    compressor = zlib.compressobj(9)
    spaces = b" " * (1 << 20)
    bomb = b"".join(compressor.compress(spaces) for _ in range(160)) + compressor.flush()
    pdf = raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            f"<< /Length {len(bomb)} /Filter /FlateDecode >>\nstream\n{bomb.decode('latin-1')}"
            "\nendstream",
        ]
    )
    zygote = check_pool().zygote_pid
    report = run_deep_check(pdf, identities=[], memory_mb=128, timeout=30)
    assert report.error == "analysis exceeded the memory limit (128 MB) and was stopped"
    after = run_deep_check(make_pdf(text="by Alice Smith"), identities=["Alice Smith"])
    assert after.ok and after.anonymity_hits[0]["match"] == "Alice Smith"
    assert check_pool().zygote_pid == zygote or zygote is None  # the zygote never saw the file


def test_a_hanging_analysis_is_reported_and_the_next_file_is_checked(monkeypatch):
    monkeypatch.setattr(deep, "_check_target", lambda: f"{HOSTILE}:spin")
    report = run_deep_check(make_pdf(), identities=[], cpu_seconds=1, timeout=20)
    assert report.error == "analysis exceeded the CPU-time limit (1 s) and was stopped"
    report = run_deep_check(make_pdf(), identities=[], timeout=1)
    assert report.error == "analysis timed out after 1 s (wall-clock limit) and was stopped"
    monkeypatch.undo()
    assert run_deep_check(make_pdf(pages=2), identities=[]).ok


def test_an_interrupted_caller_kills_the_running_child(pool, tmp_path):
    """Celery's soft time limit raises inside the caller: the child must not outlive it."""
    record = tmp_path / "pids"

    def on_alarm(*_):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            run(pool, "record_and_sleep", str(record).encode(), timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    pids = [int(pid) for pid in record.read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids)
    assert inspect(pool)["calls"] == 1  # the pool is still usable


# --- the zygote: replaced after N files, restarted when killed, one per process ---------------


def test_the_zygote_is_replaced_after_max_files():
    small = CheckPool(max_files=2)
    try:
        zygotes = []
        for _ in range(3):
            run(small, "inspect")
            zygotes.append(small.zygote_pid)
        assert zygotes[0] == zygotes[1] != zygotes[2]
        assert small.zygote_starts == 2
    finally:
        small.close()


def test_a_killed_zygote_is_restarted_and_the_file_still_checked():
    own = CheckPool()
    try:
        run(own, "inspect")
        first = own.zygote_pid
        os.kill(first, signal.SIGKILL)
        time.sleep(0.1)
        assert inspect(own)["calls"] == 1
        assert own.zygote_pid not in (None, first) and own.zygote_starts == 2
    finally:
        own.close()


def test_a_forked_process_gets_its_own_pool():
    parent = check_pool()
    run_deep_check(make_pdf(), identities=[])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            child = check_pool()
            ok = child is not parent and run_deep_check(make_pdf(), identities=[]).ok
            os.write(write, json.dumps([ok, child.zygote_pid, parent.zygote_pid]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        ok, child_zygote, seen_parent_zygote = json.loads(handle.read() or b"[false,0,0]")
    os.waitpid(pid, 0)
    assert ok and child_zygote not in (None, parent.zygote_pid)
    assert seen_parent_zygote is None  # the inherited pool was dropped, not used
    assert run_deep_check(make_pdf(), identities=[]).ok  # the parent's pool still works


def test_concurrent_callers_share_the_pool_safely():
    results: list[bool] = []

    def check() -> None:
        results.append(run_deep_check(make_pdf(), identities=[]).ok)

    threads = [threading.Thread(target=check) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [True] * 4


# --- a real Celery worker (prefork, two processes) on the checks queue ------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_prefork_checks_worker_checks_every_file_through_its_own_zygote(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from submissions.models import CheckStatus, SubmissionFile, SubmissionType
    from submissions.services import submission_file_upload
    from submissions.services.lifecycle import submission_create
    from tests.factories import TopicFactory, UserFactory, WorkshopFactory
    from tests.smtp import smtp_server
    from tests.workers import (
        celery_broker,
        celery_worker,
        redis_instance,
        require_services,
        wait_for,
    )

    require_services()
    workshop = WorkshopFactory(short_name="POOL")
    topic = TopicFactory(workshop=workshop, name="Evaluation")
    stype = SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    author = UserFactory(name="Pia Poolauthor", email="pia@uni-p.example.edu")
    with redis_instance() as redis, celery_broker(redis.url), smtp_server() as inbox:
        submission = submission_create(
            workshop=workshop,
            user=author,
            title="Checked by the pool",
            abstract="Six versions of one paper.",
            primary_topic=topic,
            submission_type=stype,
        )
        for number in range(6):
            text = f"Version {number} by Pia Poolauthor." if number == 3 else f"Version {number}."
            upload = SimpleUploadedFile("p.pdf", make_pdf(pages=2, text=text), "application/pdf")
            submission_file_upload(submission=submission, user=author, kind="paper", upload=upload)
        files = SubmissionFile.objects.filter(submission=submission)
        assert files.count() == 6
        env = {"REDIS_URL": redis.url, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
        with celery_worker(
            inbox.url, queue="checks", pool="prefork", concurrency=2, extra_env=env
        ) as worker:
            done = wait_for(
                lambda: not files.filter(check_status=CheckStatus.PENDING).exists(), timeout=120
            )
            pool_processes = _children(worker.pid)
            zygotes = [pid for child in pool_processes for pid in _children(child)]
        assert done, list(files.values_list("check_status", flat=True))
    assert set(files.values_list("check_status", flat=True)) == {CheckStatus.DONE}
    assert [f.anonymity_flag for f in files.order_by("pk")] == [False] * 3 + [True] + [False] * 2
    assert all(f.reviewer_copy for f in files)
    # One zygote per prefork process that ran a check, gone with the worker.
    assert 1 <= len(zygotes) <= 2
    assert wait_for(lambda: not any(alive(pid) for pid in zygotes), timeout=10)


@pytest.mark.django_db
def test_the_pending_checks_sweep_hands_lost_checks_to_the_workers(monkeypatch, workshop, author):
    """Checks whose task was lost (broker down at upload) go back to the check queue, all of
    them, oldest first; only while the broker is unreachable does the sweep run a share."""
    import datetime as dt

    from django.utils import timezone

    from submissions import tasks
    from submissions.models import CheckStatus, SubmissionFile
    from tests.submissions.conftest import new_submission

    files = []
    for _ in range(3):
        paper = new_submission(workshop, author, with_pdf=True)
        files.append(paper.files.get())
    for age, stored in zip((9, 7, 5), files, strict=True):  # distinct ages, oldest first
        SubmissionFile.objects.filter(pk=stored.pk).update(
            check_status=CheckStatus.PENDING,
            uploaded_at=timezone.now() - dt.timedelta(minutes=age),
        )
    handed: list[int] = []
    monkeypatch.setattr(
        "workshop.outbox.task_enqueue", lambda task, pk, **kw: handed.append(pk) or True
    )
    assert tasks.pending_checks_sweep() == 3
    assert handed == [f.pk for f in files]

    ran: list[int] = []
    monkeypatch.setattr("workshop.outbox.task_enqueue", lambda task, pk, **kw: False)
    monkeypatch.setattr(tasks, "submission_file_check", lambda pk: ran.append(pk))
    assert tasks.pending_checks_sweep() == 3
    assert sorted(ran) == sorted(f.pk for f in files)
