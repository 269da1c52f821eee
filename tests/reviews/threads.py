"""A piece of a test run in a thread of its own, on its own database connection: the tests
of two requests racing start both sides with it."""

from __future__ import annotations

import threading

from django.db import connections


def run_in_thread(target, *args) -> tuple[threading.Thread, list[BaseException]]:
    """Start `target(*args)` in a thread; return the thread and the list its exceptions go
    to (join the thread, then assert the list is empty)."""
    errors: list[BaseException] = []

    def body() -> None:
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=body)
    thread.start()
    return thread, errors
