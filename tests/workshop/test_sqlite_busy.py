"""On the SQLite default, a request that cannot get the write lock answers 503 "busy, try
again" with Retry-After, never 500 (issue 30, finding 6): an HTML page for pages, the API's
error shape under /api/, with DEBUG off and on (the DEBUG 500 page showed locals).

The lock is real: a file-based SQLite database (an in-memory one never locks), migrated in
a subprocess (settings are read once per process), where another connection holds the
write lock (BEGIN IMMEDIATE) and Django's busy timeout is cut to a fraction of a second.
Three writers are asked: the sign-in page (a write in the view), a view that only changes
the session (the write happens in SessionMiddleware, after the view) and an API read whose
token authentication writes (the token's last use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sqlite3, sys
import django
from django.conf import settings
django.setup()
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

call_command("migrate", verbosity=0, interactive=False)
import datetime as dt
from django.utils import timezone
from api.models import ApiToken, secret_hash
from workshop.models import User

user = User.objects.create_user(email="busy@example.org", name="Busy", password="pw-123456789")
SECRET = "wsk_busytest_0123456789abcdef"
ApiToken.objects.create(
    user=user, name="busy", prefix="busytest", hashed_secret=secret_hash(SECRET),
    expires_at=timezone.now() + dt.timedelta(days=1),
)
connection.close()
connection.settings_dict["OPTIONS"]["timeout"] = 0.2


def session_only(request):
    request.session["seen"] = request.session.get("seen", 0) + 1
    return HttpResponse("ok")


urlpatterns = [path("busy-session/", session_only), path("", include("workshop.urls"))]
settings.ROOT_URLCONF = __name__
sys.modules[__name__].urlpatterns = urlpatterns

holder = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=0.1)
holder.execute("BEGIN IMMEDIATE")
holder.execute("CREATE TABLE IF NOT EXISTS busy_marker (x)")

results = {}
for debug in (False, True):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    answers = {}
    login = client.post(
        "/accounts/login/", {"login": "busy@example.org", "password": "pw-123456789"},
        secure=True,
    )
    answers["login"] = login
    answers["session"] = client.get("/busy-session/", secure=True)
    # A token's first use (of the minute) writes its last_used_at.
    answers["api"] = client.get(
        "/api/v1/workshops/", HTTP_AUTHORIZATION=f"Bearer {SECRET}", secure=True
    )
    results[str(debug)] = {
        name: {
            "status": r.status_code,
            "retry_after": r.get("Retry-After"),
            "type": r.get("Content-Type", ""),
            "body": r.content.decode()[:3000],
        }
        for name, r in answers.items()
    }
holder.rollback()
holder.close()
print("RESULT " + json.dumps(results))
"""


def run_locked(tmp_path: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'busy.sqlite3'}",
        DJANGO_SETTINGS_MODULE="workshop.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="busy-test-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="testserver",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_a_locked_sqlite_database_answers_503_busy_never_500(tmp_path):
    results = run_locked(tmp_path)
    for debug, answers in results.items():
        for name, answer in answers.items():
            where = f"{name} with DEBUG={debug}"
            assert answer["status"] == 503, (where, answer["status"], answer["body"][:500])
            assert answer["retry_after"] and int(answer["retry_after"]) > 0, where
            assert "Traceback" not in answer["body"] and "locals" not in answer["body"], where
        for name in ("login", "session"):
            assert answers[name]["type"].startswith("text/html")
            assert "Busy, try again" in answers[name]["body"]
        api = json.loads(answers["api"]["body"])
        assert answers["api"]["type"] == "application/json"
        assert api["error"]["code"] == "busy" and api["error"]["fields"] == {}
