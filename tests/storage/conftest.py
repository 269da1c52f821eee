"""A real S3-compatible server for the storage tests: moto's server in a subprocess.

The server starts once per session on a free port (the socket is polled, bounded); each test
gets a fresh bucket and `STORAGES["default"]` pointing at django-storages' S3Storage there,
set after the suite-wide `_media_root` fixture (which points it at a temporary directory), so
no file of these tests can land on the local disk.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

S3_SETTINGS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_S3_REGION_NAME": "us-east-1",
    "AWS_DEFAULT_ACL": None,
    "AWS_QUERYSTRING_AUTH": True,
    "AWS_S3_FILE_OVERWRITE": False,
}


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=S3_SETTINGS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_SETTINGS["AWS_SECRET_ACCESS_KEY"],
            region_name=S3_SETTINGS["AWS_S3_REGION_NAME"],
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, deadline_seconds: float = 30) -> None:
    """Poll the server's socket until it accepts, the process dies or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode} before listening.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto_server did not listen on port {port} in {deadline_seconds} s.")


@pytest.fixture(scope="session")
def s3_server():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, proc)
        yield S3Server(endpoint=f"http://127.0.0.1:{port}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh, empty bucket for one test: its name."""
    name = f"workshop-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


@pytest.fixture(autouse=True)
def s3_storage(settings, _media_root, s3_server, s3_bucket):
    """Every file of the test goes to the bucket through S3Storage, as in production with
    `AWS_STORAGE_BUCKET_NAME` set (workshop/settings.py, "Files"). Yields a listing helper:
    the keys in the bucket."""
    for key, value in S3_SETTINGS.items():
        setattr(settings, key, value)
    settings.AWS_STORAGE_BUCKET_NAME = s3_bucket
    settings.AWS_S3_ENDPOINT_URL = s3_server.endpoint
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    # No file of these tests may reach the local disk: MEDIA_ROOT points nowhere writable.
    settings.MEDIA_ROOT = "/nonexistent-media-root"
    client = s3_server.client()

    def keys() -> list[str]:
        found = client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])
        return sorted(o["Key"] for o in found)

    yield keys
