"""Schemathesis against a live server, every phase, as a chair, a reviewer and an author.

    .venv/bin/python -m tests.api.schemathesis_run [--examples 30] [--stack postgres|sqlite]

The test suite runs a few examples per operation in-process (tests/api/test_schema.py);
this is the long run by hand: it builds the API test world (tests/api/world.py) in a
scratch database (`--stack postgres`: the database named by `--database` on
127.0.0.1:5432, recreated, with Redis db `--redis-db`; `--stack sqlite`: a file in a
temporary directory, no Redis), serves it with gunicorn, and runs `schemathesis run` with
the response conformance checks (status codes, content types, bodies; no 5xx) once per
role, all phases. Prints the cases and failures per role as JSON lines; exits non-zero
when any role had a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("chair-A", "R1-submitted", "author-P")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "MEDIA_ROOT": str(workdir / "media"),
        "API_RATE_LIMIT_TOKEN": "1000000/min",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    if args.stack == "postgres":
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{args.redis_db}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'fuzz.sqlite3'}"
    return env


def _recreate_postgres(name: str) -> None:
    import psycopg2

    connection = psycopg2.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


BUILD = """
import json, django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
call_command("migrate", verbosity=0)
from submissions.models import FileKind
from submissions.services import submission_file_upload
from tests.api.world import build_api_world
from tests.pdfs import make_pdf
from tests.policy_spec import enter_phase
from workshop.models import User
world = build_api_world()
base = world.base
enter_phase(base, "s")
stored = submission_file_upload(
    submission=base.p, user=User.objects.get(pk=base.users["author-P"]), kind=FileKind.PAPER,
    upload=SimpleUploadedFile("p.pdf", make_pdf(pages=1), content_type="application/pdf"))
stored.reviewer_copy.save("copy.pdf", ContentFile(make_pdf(pages=1)), save=True)
enter_phase(base, "r")
ids = {
    "slug": [base.a.slug, base.b.slug],
    "id": [base.p.pk, base.q.pk, base.w.pk, world.beta_paper.pk, *base.assignments.values()],
    "number": [base.p.number, base.q.number, base.w.number],
    "file_pk": [stored.pk],
    "kind": ["paper", "supplementary"],
}
print(json.dumps({"secrets": world.secrets, "ids": ids}))
"""


def _build_world(env: dict[str, str]) -> dict:
    if env.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    out = subprocess.run([sys.executable, "-c", BUILD], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def _config(ids: dict[str, list], workdir: Path) -> Path:
    """Three path parameters in four name the world's objects (else every case on an
    object would be a 404): a dictionary per parameter, drawn with that probability (the
    schema's path parameters are all strings)."""
    lines = []
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps([str(v) for v in values])}", ""]
    lines.append("[parameters]")
    for name in ids:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.75 }}')
    path = workdir / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _serve(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [str(gunicorn), "workshop.wsgi:application", "--workers", "2", "--threads", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
            return server, base
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _run_role(base: str, role: str, secret: str, args: argparse.Namespace, workdir: Path,
              config: Path) -> dict:  # fmt: skip
    report = workdir / f"{role}.ndjson"
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config), "run",
        f"{base}/api/schema/",
        "-H", f"Authorization: Bearer {secret}", "--checks", CHECKS,
        "--max-examples", str(args.examples), "--phases", args.phases, "--seed", "30",
        "--continue-on-failure", "--workers", "1", "--report", "ndjson",
        "--report-ndjson-path", str(report), "--suppress-health-check", "all",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    cases, failures, statuses = 0, Counter(), Counter()
    for line in report.read_text().splitlines():
        recorder = json.loads(line).get("ScenarioFinished", {}).get("recorder") or {}
        interactions = recorder.get("interactions") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            response = (interactions.get(case_id) or {}).get("response") or {}
            for check in checks:
                if check["status"] == "failure":
                    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
                    failures[f"{recorder['label']} {check['name']} {response.get('status_code')} "
                             f"{headers.get('content-type')}"] += 1  # fmt: skip
        for interaction in interactions.values():
            cases += 1
            statuses[str((interaction.get("response") or {}).get("status_code"))] += 1
    summary = done.stdout.strip().splitlines()[-12:]
    return {"role": role, "exit": done.returncode, "cases": cases,
            "failures": sum(failures.values()), "failure_kinds": dict(failures.most_common(60)),
            "statuses": dict(sorted(statuses.items())), "summary": summary}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30)
    parser.add_argument("--stack", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--database", default="h4")
    parser.add_argument("--redis-db", type=int, default=4)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--keep", action="store_true", help="keep the reports (and say where)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="schemathesis-"))
    if args.keep:
        print(json.dumps({"reports": str(workdir)}), flush=True)
    env = _environment(args, workdir)
    if args.stack == "postgres":
        _recreate_postgres(args.database)
    built = _build_world(env)
    config = _config(built["ids"], workdir)
    server, base = _serve(env, workdir)
    failed = False
    try:
        for role in args.roles.split(","):
            result = _run_role(base, role, built["secrets"][role], args, workdir, config)
            failed |= result["failures"] > 0 or result["exit"] != 0
            print(json.dumps({"stack": args.stack, "examples": args.examples, **result}),
                  flush=True)  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
