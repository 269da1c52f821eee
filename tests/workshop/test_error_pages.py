"""Error pages are the site's own and show no data: no URL patterns, no traceback, no locals.

With DEBUG off Django renders templates/400.html, 403.html, 404.html and 500.html; the 500
(and 400) page is rendered with no request context, so it must need no context processor and
no database. `make run` serves the demo that way too: the last test starts `make run` itself
(on a throw-away SQLite database and a free port) and reads its pages over HTTP.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path

from tests.smtp import free_port
from tests.workers import wait_for
from workshop.demo import DEMO_PASSWORD
from workshop.urls import urlpatterns as site_urlpatterns

from .site_pages import CONFIDENTIAL, assert_site_page

ROOT = Path(__file__).resolve().parents[2]


def explode(request):
    reviewer = CONFIDENTIAL  # a local the technical 500 page would list
    raise RuntimeError(f"the view failed for {reviewer}")


urlpatterns = [path("test-explode/", explode), *site_urlpatterns]


@pytest.fixture
def debug_off(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


@pytest.mark.django_db
def test_a_mistyped_url_answers_the_sites_own_404(debug_off):
    response = Client().get("/submissions/no-such-page/")
    assert response.status_code == 404
    assert_site_page(response.content.decode(), title="Not found")
    assert "/submissions/no-such-page/" not in response.content.decode()


@pytest.mark.django_db
def test_a_view_that_raises_answers_the_sites_own_500_without_locals(debug_off):
    response = Client(raise_request_exception=False).get("/test-explode/")
    assert response.status_code == 500
    html = response.content.decode()
    assert_site_page(html, title="Something went wrong")
    assert "RuntimeError" not in html and "the view failed" not in html


@pytest.mark.django_db
def test_a_bad_request_answers_the_sites_own_400(debug_off):
    response = Client().get("/", HTTP_HOST="not-an-allowed-host.example")
    assert response.status_code == 400
    assert_site_page(response.content.decode(), title="Bad request")
    assert "not-an-allowed-host" not in response.content.decode()


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_answers_the_sites_own_403(debug_off):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "x"})
    assert response.status_code == 403
    assert_site_page(response.content.decode(), title="Form expired")
    assert "CSRF verification failed" not in response.content.decode()  # Django's own page


@pytest.mark.django_db
def test_the_500_and_400_pages_need_no_context_and_no_database():
    for template, title in (("500.html", "Something went wrong"), ("400.html", "Bad request")):
        with CaptureQueriesContext(connection) as queries:
            html = render_to_string(template)  # Django renders them with no request
        assert len(queries) == 0
        assert_site_page(html, title=title)


# --- `make run` itself --------------------------------------------------------------------------


def fetch(opener, url: str | tuple[str, bytes]) -> tuple[int, str, dict]:
    """GET `url`, or POST (url, body); redirects followed."""
    url, data = (url, None) if isinstance(url, str) else url
    try:
        with opener.open(url, data=data, timeout=20) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


@pytest.mark.skipif(
    not shutil.which("make") or not (ROOT / ".venv" / "bin" / "python").exists(),
    reason="needs make and the project's .venv (the one `make run` uses)",
)
def test_make_run_serves_the_demo_with_its_own_error_pages_and_static_files(tmp_path):
    """`make run` (DEBUG off): its own 404, static files served, a sign-in over plain http."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    # Not the settings of the run this test is part of, nor the flags of its `make test`.
    for name in ("REDIS_URL", "SITE_URL", "EMAIL_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)
    log = tmp_path / "make-run.log"
    # -o: never (re)install from here; the venv the tests run in is the one `make run` uses.
    command = ["make", "--no-print-directory", "-o", ".venv/.installed-run", "run", f"PORT={port}"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        # Migrate, seed, serve: up when the health check answers, or failed when make exits.
        wait_for(lambda: proc.poll() is not None or _answers(f"{base}/healthz"), timeout=600)
        assert proc.poll() is None and _answers(f"{base}/healthz"), log.read_text()[-3000:]

        status, html, _ = fetch(opener, f"{base}/no-such-page/")
        assert status == 404
        assert_site_page(html, title="Not found")

        # The page's own stylesheet link (hashed name, from the collected manifest) is served.
        stylesheet = re.search(r'href="(/static/css/site[^"]*\.css)"', html).group(1)
        status, _css, headers = fetch(opener, base + stylesheet)
        assert status == 200 and "text/css" in headers["Content-Type"]

        # Signing in works over plain http: no cookie is marked Secure (it would not return).
        status, html, _ = fetch(opener, f"{base}/accounts/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        form = {"csrfmiddlewaretoken": token, "login": "chair@example.org"}
        form["password"] = DEMO_PASSWORD
        status, html, _ = fetch(opener, (f"{base}/accounts/login/", urlencode(form).encode()))
        assert status == 200 and "Sign out" in html, html[-2000:]
        assert {c.name for c in jar} >= {"csrftoken", "sessionid"}
        assert not any(c.secure for c in jar)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
