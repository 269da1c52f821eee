"""The deadline burst on the real stack: authors upload and submit papers through the forms.

Run ``.venv/bin/python bench/burst.py [--papers 1000] [--clients 50]`` (PostgreSQL on
127.0.0.1:5432 as ``postgres``, or ``--pg-admin URL``; ``redis-server`` on the PATH).

It creates the database ``workshop_pool_bench`` (dropped at the end), starts a private
``redis-server`` on a free port, an SMTP sink (aiosmtpd), gunicorn as in the Dockerfile
(gthread, ``WEB_CONCURRENCY`` 3 x 4 threads, DEBUG off, an access log with the request time),
one Celery worker per queue as in docker-compose.yml (``mail`` x4, ``checks`` x2,
``matching,celery`` x1) and beat. It migrates, collects the static files, and creates a
workshop with an open call and ``--papers`` authors with verified addresses.

Sign-in (not timed as part of the burst): ``--clients`` threads sign every author in through
the login form (each thread from its own 127.0.1.x address: the login rate limit is per
address). The burst: the same threads, for each paper, GET the new-paper form (CSRF token),
POST it, POST a distinct ~1 MB PDF (``bench/pdfgen.py``) to the upload form and POST the
submit form, carrying cookies and the token as a browser does; 4 requests per paper.
Afterwards it waits until every deep check is done and every receipt sent.

Prints JSON lines: sign-in figures; the burst's totals, errors, client-side p50/p95/p99 per
request kind, server-side p50/p99 (gunicorn's ``%(M)s``); the drain (time from the last upload
until every check is done, receipt delay = sent_at - submitted_at per receipt); integrity
(stored SHA-256 against what was sent), duplicates and lost mails at the sink; load averages.
Figures only: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import itertools
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.pdfgen import base_pdf, distinct_pdf  # noqa: E402

DB_NAME = "workshop_pool_bench"
PASSWORD = "burst-password-2026"
SLUG = "burst"
CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(M)s"


def log(message: str) -> None:
    print(f"[burst] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def summary(values: list[float]) -> dict[str, float | None]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.50),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": round(max(values), 3) if values else None,
    }


# --- services ---------------------------------------------------------------------------------


@contextmanager
def database(admin_url: str):
    import psycopg2

    def execute(sql: str) -> None:
        conn = psycopg2.connect(admin_url)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.close()

    execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    execute(f"CREATE DATABASE {DB_NAME}")
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{DB_NAME}"
    finally:
        from django.db import connections

        connections.close_all()
        execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


class RedisServer:
    """A private redis-server that can be stopped and started again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        cmd += ["--appendonly", "no", "--dir", str(self.workdir), "--loglevel", "warning"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


@contextmanager
def redis_server(workdir: Path):
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Sink:
    """An SMTP sink counting what arrives per Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope) -> str:
        from email import message_from_bytes

        message = message_from_bytes(envelope.original_content)
        with self.lock:
            self.ids[str(message["Message-ID"])] += 1
        return "250 OK"


@contextmanager
def smtp_sink():
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def process(cmd: list[str], env: dict[str, str], logfile: Path):
    with open(logfile, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc)


def stack_env(db_url: str, redis_url: str, email_url: str, port: int, workdir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "EMAIL_URL": email_url,
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "False",
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
    }


def start_stack(stack: ExitStack, env: dict, port: int, workdir: Path) -> Path:
    python = sys.executable
    access = workdir / "access.log"
    gunicorn = [python, "-m", "gunicorn", "workshop.wsgi:application"]
    gunicorn += ["--bind", f"127.0.0.1:{port}", "--worker-class", "gthread", "--threads", "4"]
    gunicorn += ["--workers", env.get("WEB_CONCURRENCY", "3"), "--timeout", "60"]
    gunicorn += ["--graceful-timeout", "30", "--keep-alive", "5", "--max-requests", "1000"]
    gunicorn += ["--max-requests-jitter", "100", "--worker-tmp-dir", "/dev/shm"]
    gunicorn += ["--access-logfile", str(access), "--access-logformat", ACCESS_FORMAT]
    celery = [python, "-m", "celery", "-A", "workshop"]
    workers = [("mail", "mail", 4), ("checks", "checks", 2), ("batch", "matching,celery", 1)]
    for name, queues, concurrency in workers:
        cmd = [*celery, "worker", "-Q", queues, "-n", f"{name}@burst"]
        cmd += [f"--concurrency={concurrency}", "--loglevel=warning"]
        stack.enter_context(process(cmd, env, workdir / f"worker-{name}.log"))
    beat = [*celery, "beat", "--loglevel=warning", "--schedule", str(workdir / "beat-schedule")]
    stack.enter_context(process(beat, env, workdir / "beat.log"))
    web = stack.enter_context(process(gunicorn, env, workdir / "gunicorn.log"))
    wait_port(port, web)
    # The master listens before its workers have imported Django: wait until they answer.
    probe = Browser(port, "127.0.0.1")
    for _ in range(30):
        if probe.request("GET", "/healthz")[0] == 200:
            time.sleep(1)
            for _ in range(12):
                probe.request("GET", "/accounts/login/")
            break
        time.sleep(1)
    return access


# --- the world --------------------------------------------------------------------------------


def create_world(papers: int) -> None:
    import datetime as dt

    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from submissions.models import SubmissionType
    from workshop.models import Topic, User, Workshop

    now = timezone.now()
    day = dt.timedelta(days=1)
    workshop = Workshop.objects.create(
        name="Burst workshop",
        short_name="BURST",
        slug=SLUG,
        contact_email="chairs@example.org",
        call_for_papers="We invite papers.",
        submission_opens=now - 10 * day,
        paper_deadline=now + 10 * day,
        bidding_deadline=now + 15 * day,
        review_deadline=now + 30 * day,
        notification_date=now + 45 * day,
        camera_ready_deadline=now + 60 * day,
    )
    for name in ("Evaluation", "Data", "Efficiency"):
        Topic.objects.create(workshop=workshop, name=name, description="About things.")
    SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    hashed = make_password(PASSWORD)  # once: the same hash for every bench account
    users = User.objects.bulk_create(
        User(email=email(n), name=f"Author {n:04d}", password=hashed) for n in range(papers)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )


def email(number: int) -> str:
    return f"author{number:04d}@uni-{number % 97}.example.edu"


# --- the clients ------------------------------------------------------------------------------


class Browser:
    """Cookies (all sent back, like a browser on http://localhost) and one keep-alive
    connection from a fixed source address."""

    def __init__(self, port: int, source: str) -> None:
        self.port, self.source = port, source
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes = b"", headers=None):
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Origin": f"http://127.0.0.1:{self.port}",
            "Referer": f"http://127.0.0.1:{self.port}{path}",
            **(headers or {}),
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=120, source_address=(self.source, 0)
                )
            try:
                self.conn.request(method, path, body=body or None, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, response.getheader("Location", ""), data


def form_post(browser: Browser, path: str, fields: dict[str, str]):
    body = urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return browser.request("POST", path, body, headers)


def multipart_post(browser: Browser, path: str, token: str, pdf: bytes, filename: str):
    boundary = secrets.token_hex(16)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    body += pdf + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return browser.request("POST", path, body, headers)


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {}
        self.errors: Counter[str] = Counter()
        self.error_samples: list[str] = []
        self.last_upload = 0.0
        self.sent: dict[int, str] = {}  # paper number -> SHA-256 of the PDF sent

    def record(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind}: {detail}"[:300])


def timed(results: Results, kind: str, expect: int, call):
    started = time.perf_counter()
    try:
        status, location, data = call()
    except Exception as exc:  # noqa: BLE001 - counted as an error, the run goes on
        results.record(kind, time.perf_counter() - started, False, repr(exc))
        return None
    ok = status == expect
    results.record(kind, time.perf_counter() - started, ok, f"HTTP {status} {location}")
    return (status, location, data) if ok else None


def sign_in(browser: Browser, number: int, results: Results) -> bool:
    page = timed(results, "login_form", 200, lambda: browser.request("GET", "/accounts/login/"))
    if page is None:
        return False
    token = CSRF_RE.search(page[2])
    fields = {"csrfmiddlewaretoken": token.group(1).decode() if token else ""}
    fields |= {"login": email(number), "password": PASSWORD}
    done = timed(results, "login", 302, lambda: form_post(browser, "/accounts/login/", fields))
    return done is not None


def submit_paper(browser: Browser, number: int, base: bytes, topic: str, stype: str, results):
    new = f"/submissions/new/{SLUG}/"
    page = timed(results, "new_form", 200, lambda: browser.request("GET", new))
    if page is None:
        return
    token = CSRF_RE.search(page[2]).group(1).decode()
    fields = {
        "csrfmiddlewaretoken": token,
        "title": f"Burst paper {number:04d}: open models under deadline pressure",
        "abstract": "We measure how a submission system behaves when every author submits in "
        "the last hour. " * 3,
        "primary_topic": topic,
        "submission_type": stype,
        "llm_use": "none",
        "keywords": "benchmark, deadline",
        "tldr": "Submission systems under a deadline burst.",
    }
    created = timed(results, "create", 302, lambda: form_post(browser, new, fields))
    if created is None:
        return
    pk = int(re.search(r"/submissions/(\d+)/", created[1]).group(1))
    pdf = distinct_pdf(base, number)
    with results.lock:
        results.sent[pk] = hashlib.sha256(pdf).hexdigest()
    upload_path = f"/submissions/{pk}/upload/paper/"
    uploaded = timed(
        results,
        "upload",
        302,
        lambda: multipart_post(browser, upload_path, token, pdf, f"paper-{number}.pdf"),
    )
    with results.lock:
        results.last_upload = max(results.last_upload, time.monotonic())
    if uploaded is None:
        return
    submit = {"csrfmiddlewaretoken": token}
    timed(results, "submit", 302, lambda: form_post(browser, f"/submissions/{pk}/submit/", submit))


def run_clients(clients: int, work, items) -> None:
    todo: queue.Queue = queue.Queue()
    for item in items:
        todo.put(item)

    def client(index: int) -> None:
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            work(index, item)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def form_choices() -> tuple[str, str]:
    from submissions.models import SubmissionType
    from workshop.models import Topic

    topic = Topic.objects.filter(workshop__slug=SLUG).order_by("pk").first()
    stype = SubmissionType.objects.filter(workshop__slug=SLUG).first()
    return str(topic.pk), str(stype.pk)


# --- figures ----------------------------------------------------------------------------------


def server_times(access: Path, start: int) -> dict[str, list[float]]:
    """Request times in seconds per kind, from gunicorn's access log after byte ``start``."""
    kinds: dict[str, list[float]] = {}
    with open(access, "rb") as handle:
        handle.seek(start)
        lines = handle.read().decode("utf-8", "replace").splitlines()
    for line in lines:
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, path, _status, ms = parts
        if path.startswith("/accounts/login"):
            kind = "login" if method == "POST" else "login_form"
        elif "/upload/" in path:
            kind = "upload"
        elif path.endswith("/submit/"):
            kind = "submit"
        elif "/new/" in path:
            kind = "create" if method == "POST" else "new_form"
        else:
            kind = "other"
        kinds.setdefault(kind, []).append(int(ms) / 1000)
    return kinds


def wait_drain(papers: int, timeout: float) -> tuple[float | None, float | None]:
    """Seconds until no check is pending / every receipt is sent (None: not within timeout)."""
    from submissions.models import CheckStatus, SubmissionFile
    from workshop.models import MailStatus, OutgoingMail

    started = time.monotonic()
    checks_done = receipts_done = None
    while time.monotonic() - started < timeout and (checks_done is None or receipts_done is None):
        if checks_done is None:
            pending = SubmissionFile.objects.filter(check_status=CheckStatus.PENDING).count()
            if pending == 0:
                checks_done = time.monotonic()
        if receipts_done is None:
            unsent = OutgoingMail.objects.exclude(status=MailStatus.SENT).count()
            if unsent == 0:
                receipts_done = time.monotonic()
        time.sleep(0.5)
    return checks_done, receipts_done


def outcome_figures(results: Results, sink: Sink) -> dict:
    from submissions.models import CheckStatus, Submission, SubmissionFile, SubmissionStatus
    from workshop.models import MailStatus, OutgoingMail
    from workshop.outbox import message_id_for

    submitted = dict(
        Submission.objects.filter(status=SubmissionStatus.SUBMITTED).values_list(
            "pk", "submitted_at"
        )
    )
    delays = []
    receipts = OutgoingMail.objects.filter(kind="submission_receipt")
    for mail in receipts.only("target_id", "created_at", "sent_at", "status"):
        at = submitted.get(mail.target_id)
        if at is None or mail.created_at < at or mail.sent_at is None:
            continue  # a receipt of an earlier change (e.g. the draft), not of the submit
        delays.append((mail.sent_at - at).total_seconds())
    papers = SubmissionFile.objects.filter(kind="paper")
    stored = dict(papers.values_list("submission_id", "sha256"))
    corrupt = sum(1 for pk, sha in results.sent.items() if stored.get(pk) != sha)
    mails = list(OutgoingMail.objects.only("key", "status"))
    received = set(sink.ids)
    sent_ids = {message_id_for(m) for m in mails if m.status == MailStatus.SENT}
    return {
        "submitted": len(submitted),
        "files_intact": len(results.sent) - corrupt,
        "files_corrupt_or_missing": corrupt,
        "checks": dict(Counter(papers.values_list("check_status", flat=True))),
        "checks_failed": papers.filter(check_status=CheckStatus.FAILED).count(),
        "receipt_delay_s": summary(delays),
        "receipts_over_30s": sum(1 for d in delays if d > 30),
        "mails": len(mails),
        "mails_sent": len(sent_ids),
        "duplicates": sum(count - 1 for count in sink.ids.values() if count > 1),
        "lost": len({message_id_for(m) for m in mails} - received),
        "sent_but_not_received": len(sent_ids - received),
    }


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pg-admin", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--drain-timeout", type=float, default=900)
    parser.add_argument("--keep-logs", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--redis-outage",
        type=float,
        default=0,
        metavar="SECONDS",
        help="stop Redis (cache, sessions' cache, broker) this long, 10 s into the burst",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="burst-"))
    port = free_port()
    base = base_pdf()
    with ExitStack() as stack:
        db_url = stack.enter_context(database(args.pg_admin))
        redis = stack.enter_context(redis_server(workdir))
        redis_url = redis.url
        sink, email_url = stack.enter_context(smtp_sink())
        env = stack_env(db_url, redis_url, email_url, port, workdir)
        os.environ.update({k: v for k, v in env.items() if k != "DJANGO_DEBUG"})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
        manage = [sys.executable, "manage.py"]
        log(f"migrating {DB_NAME}, collecting static files (work directory {workdir})")
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        collect = [*manage, "collectstatic", "--noinput", "-v0"]
        subprocess.run(collect, cwd=ROOT, env=env, check=True)
        import django

        django.setup()
        create_world(args.papers)
        topic, stype = form_choices()
        log(f"starting gunicorn on {port}, three Celery workers and beat")
        access = start_stack(stack, env, port, workdir)
        browsers = [Browser(port, f"127.0.1.{i + 1}") for i in range(args.clients)]
        sessions: dict[int, dict[str, str]] = {}

        # Sign in every author through the login form; each session is kept for the burst.
        signin = Results()

        def sign(index: int, number: int) -> None:
            browser = browsers[index]
            browser.cookies = {}
            if sign_in(browser, number, signin):
                sessions[number] = dict(browser.cookies)

        log(f"signing in {args.papers} authors from {args.clients} clients")
        started = time.monotonic()
        run_clients(args.clients, sign, range(args.papers))
        print(
            json.dumps(
                {
                    "bench": "burst",
                    "phase": "sign-in",
                    "authors": args.papers,
                    "signed_in": len(sessions),
                    "seconds": round(time.monotonic() - started, 1),
                    "errors": dict(signin.errors),
                    "error_samples": signin.error_samples,
                    "client_s": {k: summary(v) for k, v in signin.latencies.items()},
                }
            ),
            flush=True,
        )
        burst_log_start = access.stat().st_size  # the burst's server-side figures only

        results = Results()
        load_before = os.getloadavg()

        def send(index: int, number: int) -> None:
            browser = browsers[index]
            if number not in sessions:
                results.record("create", 0.0, False, "not signed in")
                return
            browser.cookies = dict(sessions[number])
            submit_paper(browser, number, base, topic, stype, results)

        outage: dict[str, float] = {}

        def redis_away() -> None:
            time.sleep(10)
            outage["stopped"] = time.monotonic() - started
            redis.stop()
            log(f"Redis stopped for {args.redis_outage:.0f} s")
            time.sleep(args.redis_outage)
            redis.start()
            outage["restarted"] = time.monotonic() - started
            log("Redis is back")

        log(f"burst: {args.papers} papers from {args.clients} clients")
        started = time.monotonic()
        away = None
        if args.redis_outage:
            away = threading.Thread(target=redis_away, daemon=True)
            away.start()
        run_clients(args.clients, send, range(args.papers))
        burst_end = time.monotonic()
        if away is not None:
            away.join()
            print(json.dumps({"bench": "burst", "phase": "redis-outage", **outage}), flush=True)
        log("waiting for the deep checks and the receipts")
        checks_done, mails_done = wait_drain(args.papers, args.drain_timeout)
        drained = time.monotonic()
        time.sleep(2)  # the sink has every message the workers reported as sent
        server = server_times(access, burst_log_start)
        everything = list(itertools.chain.from_iterable(results.latencies.values()))
        burst_kinds = ("new_form", "create", "upload", "submit")
        server_all = list(itertools.chain.from_iterable(server.get(k, []) for k in burst_kinds))
        print(
            json.dumps(
                {
                    "bench": "burst",
                    "phase": "burst",
                    "papers": args.papers,
                    "clients": args.clients,
                    "pdf_bytes": len(base),
                    "requests": len(everything),
                    "errors": sum(results.errors.values()),
                    "errors_by_kind": dict(results.errors),
                    "error_samples": results.error_samples,
                    "seconds": round(burst_end - started, 1),
                    "client_s": summary(everything),
                    "client_s_by_kind": {k: summary(v) for k, v in results.latencies.items()},
                    "server_s": summary(server_all),
                    "server_s_by_kind": {k: summary(v) for k, v in server.items()},
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()],
                }
            ),
            flush=True,
        )
        last_upload = results.last_upload or burst_end

        def after(moment: float | None) -> float | None:
            return round(moment - last_upload, 1) if moment else None

        print(
            json.dumps(
                {
                    "bench": "burst",
                    "phase": "drain",
                    "checks_done_after_last_upload_s": after(checks_done),
                    "mails_done_after_last_upload_s": after(mails_done),
                    "drain_timed_out": checks_done is None or mails_done is None,
                    "waited_s": round(drained - burst_end, 1),
                    **outcome_figures(results, sink),
                }
            ),
            flush=True,
        )
    if args.keep_logs:
        log(f"logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
