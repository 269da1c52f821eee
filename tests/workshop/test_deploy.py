"""Deployment configuration: `check --deploy`, the secret-key guard, the container files.

Settings are read once per process, so every check of a different environment runs
`manage.py` in a subprocess (the interpreter running the tests, cwd the repository root).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
WORKERS = ("worker-mail", "worker-checks", "worker-transfer", "worker-batch")
HEALTHCHECKED_SERVICES = {"web", *WORKERS, "beat", "postgres", "redis", "mailpit"}
PRODUCTION_HOST = "review.example.org"


def _env(**overrides: str) -> dict[str, str]:
    """The current environment minus the settings this module varies, plus `overrides`.

    DATABASE_URL (and anything else) is inherited, so the checks see the real database.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "SITE_URL"
    }
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _production_env() -> dict[str, str]:
    return _env(
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS=PRODUCTION_HOST,
        DJANGO_CSRF_TRUSTED_ORIGINS=f"https://{PRODUCTION_HOST}",
        SITE_URL=f"https://{PRODUCTION_HOST}",
    )


# --- Django --------------------------------------------------------------------------------


def test_check_deploy_is_clean_in_production_environment():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, (
        "`manage.py check --deploy --fail-level WARNING` reported issues under a production "
        f"environment:\n{result.stdout}\n{result.stderr}"
    )


def _insecure_default_key() -> str:
    from workshop import settings as project_settings

    return project_settings.INSECURE_DEFAULT_SECRET_KEY


@pytest.mark.parametrize("public_dev_key", [False, True], ids=["unset", "public-dev-key"])
def test_debug_off_refuses_to_start_without_a_secret_key(public_dev_key):
    env = _env(DJANGO_DEBUG="False")
    if public_dev_key:
        env["DJANGO_SECRET_KEY"] = _insecure_default_key()
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_env_example_documents_every_setting_variable():
    settings_source = (REPO_ROOT / "workshop" / "settings.py").read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_source))
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= names  # the regex works
    example = (REPO_ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert names - documented == set()
    # The example must not ship a usable secret: compose refuses an empty one.
    assert re.search(r"^DJANGO_SECRET_KEY=$", example, flags=re.MULTILINE)


# --- Container files -----------------------------------------------------------------------


def test_dockerfile_essentials():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(
        r"^FROM python:3\.11-slim|^ARG PYTHON_IMAGE=python:3\.11-slim", dockerfile, re.M
    )
    assert "pip install --no-cache-dir" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert re.search(r"^EXPOSE 8000$", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "workshop.wsgi:application" in dockerfile and "0.0.0.0:8000" in dockerfile
    entrypoint = REPO_ROOT / "docker" / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    ignored = (REPO_ROOT / ".dockerignore").read_text().split()
    for pattern in (".git", ".venv", "media", "db.sqlite3", "test-artifacts", ".env"):
        assert pattern in ignored


def _load_compose() -> dict:
    """docker-compose.yml as data: PyYAML here, or from a python3 on PATH that has it."""
    text = COMPOSE_FILE.read_text()
    try:
        import yaml
    except ImportError:
        pass
    else:
        return yaml.safe_load(text)
    dump = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
    candidates = {shutil.which("python3"), "/usr/bin/python3"} - {None, sys.executable}
    for python in sorted(c for c in candidates if c and os.access(c, os.X_OK)):
        result = subprocess.run(
            [python, "-c", dump], input=text, capture_output=True, text=True, check=False
        )
        if result.returncode == 0:
            return json.loads(result.stdout)
    pytest.skip("PyYAML is not available to parse docker-compose.yml")


@pytest.fixture(scope="module")
def compose() -> dict:
    return _load_compose()


def test_compose_services_and_health_checks(compose):
    assert "version" not in compose  # the Compose Specification dropped it
    services = compose["services"]
    assert set(services) >= HEALTHCHECKED_SERVICES
    for name in HEALTHCHECKED_SERVICES:
        healthcheck = services[name].get("healthcheck") or {}
        assert healthcheck.get("test"), f"{name} has no health check"
        assert not healthcheck.get("disable"), f"{name} disables its health check"
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert "appendonly" in " ".join(services["redis"]["command"])
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    assert any("8025" in str(port) for port in services["mailpit"]["ports"])
    assert any(str(port).endswith("8000:8000") for port in services["web"]["ports"])
    for name in WORKERS:
        assert services[name]["command"][:4] == ["celery", "-A", "workshop", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "workshop", "beat"]


def test_compose_runs_a_worker_per_queue(compose, settings):
    """Every queue the routes use is consumed by a worker of its own kind, and a receipt's
    queue (mail) is not shared with the deep checks."""
    services = compose["services"]
    consumed: dict[str, str] = {}
    for name in WORKERS:
        command = services[name]["command"]
        for queue in command[command.index("-Q") + 1].split(","):
            assert queue not in consumed, f"{queue} consumed by {consumed.get(queue)} and {name}"
            consumed[queue] = name
        node = command[command.index("-n") + 1].split("@")[0]
        assert f"{node}@$$HOSTNAME" in " ".join(services[name]["healthcheck"]["test"])
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed | {settings.CELERY_TASK_DEFAULT_QUEUE} == set(consumed)
    assert set(settings.CELERY_QUEUE_NAMES) == set(consumed)
    assert consumed["mail"] != consumed["checks"]


def test_compose_app_environment(compose):
    services = compose["services"]
    for name in ("web", *WORKERS, "beat", "migrate"):
        env = services[name]["environment"]
        assert env["DJANGO_DEBUG"] == "False"
        assert (
            env["DATABASE_URL"].startswith("postgres://")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "mailpit:1025" in env["EMAIL_URL"]
        assert env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    media_root = services["web"]["environment"]["MEDIA_ROOT"]
    for name in ("web", "worker-checks", "worker-batch"):
        assert f"media:{media_root}" in services[name]["volumes"]
    # Migrations run once, before anything that uses the database starts.
    assert "migrate" in services["migrate"]["command"]
    for name in ("web", *WORKERS, "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def _compose_config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # An empty --env-file keeps a developer's own .env out of the result.
    empty_env_file = tmp_path / "empty.env"
    empty_env_file.write_text("")
    compose_cli = ["docker-compose", "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE)]
    return subprocess.run(
        [*compose_cli, "config", "-q"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not on PATH")
def test_docker_compose_config_validates(tmp_path):
    result = _compose_config(_env(DJANGO_SECRET_KEY=secrets.token_urlsafe(64)), tmp_path)
    assert result.returncode == 0, result.stderr

    without_key = _compose_config(_env(), tmp_path)
    assert without_key.returncode != 0
    assert "set DJANGO_SECRET_KEY" in without_key.stderr
