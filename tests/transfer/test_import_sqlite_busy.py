"""On the SQLite default, requests made while an import writes get a page or 503 "busy, try
again", never 500 (issue 23, item 8: a 1,001-paper import answered API requests with 500
after some 20 s).

The import holds SQLite's one write lock for its transaction. A real file database (an
in-memory one never locks), migrated in a subprocess (settings are read once per process);
the import runs in a thread and, from inside its transaction (its progress callback, with
the committee and the first papers written), lets the main thread ask while it waits: a
page that only reads, the sign-in (a write), an API call whose token writes its last use.
The busy timeout of the asking connection is cut to a fraction of a second, as if the
import had outlasted the 20 s one. Then the import goes on and commits everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import datetime as dt, json, threading
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

call_command("migrate", verbosity=0, interactive=False)
from api.models import ApiToken, secret_hash
from bench.transfer import TOPICS, hotcrp_zip
from reviews.services.reviewing import default_form_create
from tests.factories import TopicFactory, UserFactory, WorkshopFactory, make_chair
from transfer.importers import run_import

workshop = WorkshopFactory(slug="busy-import")
for name in TOPICS:
    TopicFactory(workshop=workshop, name=name)
default_form_create(workshop)
chair = make_chair(workshop)
UserFactory(email="reader@example.org", password="pw-123456789")
SECRET = "wsk_busyimport_0123456789abcdef"
ApiToken.objects.create(
    user=chair, name="busy", prefix="busyimport", hashed_secret=secret_hash(SECRET),
    expires_at=timezone.now() + dt.timedelta(days=1),
)
connection.close()
data = hotcrp_zip(40, members=30)
inside, asked = threading.Event(), threading.Event()
result = {}


def progress(done, total):
    if done >= 40 and not inside.is_set():  # the committee and some papers are written
        inside.set()
        asked.wait(120)


def work():
    try:
        result["report"] = run_import(
            workshop=workshop, actor=chair, fmt="hotcrp-papers", data=data, progress=progress
        )
    finally:
        inside.set()
        connection.close()


thread = threading.Thread(target=work)
thread.start()
inside.wait(300)
connection.settings_dict["OPTIONS"]["timeout"] = 0.2
client = Client(raise_request_exception=False)
answers = {
    "page": client.get(f"/w/{workshop.slug}/", secure=True),
    "login": client.post(
        "/accounts/login/", {"login": "reader@example.org", "password": "pw-123456789"},
        secure=True,
    ),
    "api": client.get("/api/v1/workshops/", HTTP_AUTHORIZATION=f"Bearer {SECRET}", secure=True),
}
asked.set()
thread.join(600)
connection.close()
report = result.get("report")
print("RESULT " + json.dumps({
    "during": {
        name: {"status": r.status_code, "body": r.content.decode()[:2000]}
        for name, r in answers.items()
    },
    "import": {"ok": bool(report and report.ok), "counts": report.counts() if report else {}},
    "papers": workshop.submissions.count(),
}))
"""


def test_requests_during_an_import_get_a_page_or_busy_never_500(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'import.sqlite3'}",
        DJANGO_SETTINGS_MODULE="workshop.settings",
        # DEBUG on: pages need no collected static files (busy.py answers alike either way).
        DJANGO_DEBUG="True",
        DJANGO_SECRET_KEY="busy-import-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    during = result["during"]
    for name, answer in during.items():
        assert answer["status"] != 500, (name, answer["body"][:500])
        assert answer["status"] in (200, 302, 503), (name, answer["status"])
    # Reading is never locked out (SQLite's WAL): the page is served during the import.
    assert during["page"]["status"] == 200, during["page"]["body"][:500]
    # Writing waits for the lock; past the busy timeout it is told so, and to come back.
    assert during["login"]["status"] == 503 and "Busy, try again" in during["login"]["body"]
    assert during["api"]["status"] == 503 and '"busy"' in during["api"]["body"]
    assert result["import"]["ok"] and result["papers"] == 40, result["import"]
    assert result["import"]["counts"]["review.submit"] == 120
