"""A real SMTP server on localhost (aiosmtpd) that records what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Inbox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in m["To"]]


class RecordingHandler:
    """Records every accepted message in its inbox. Subclasses that hold a step back (a
    stalled RCPT TO) let everything go in `release_all`, called when the server stops."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope) -> str:
        self.inbox.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"

    def release_all(self) -> None:
        """Nothing is held back here."""


@contextmanager
def serving(handler: RecordingHandler) -> Iterator[Inbox]:
    """The handler's server on its inbox's port while the block runs."""
    inbox = handler.inbox
    controller = Controller(handler, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        handler.release_all()
        controller.stop()


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[Inbox]:
    with serving(RecordingHandler(Inbox("127.0.0.1", port or free_port()))) as inbox:
        yield inbox
