"""A real SMTP server for the notification tests (aiosmtpd on a free local port).

``smtp_server`` starts it, points Django's SMTP backend at it and switches notifications on;
``server.received`` holds every message it accepted, parsed. ``server.refuse`` is a list of
replies to give to the next DATA commands instead of accepting (``"451 4.3.0 Try later"``).
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Collector:
    received: list[Received] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            if self.refuse:
                return self.refuse.pop(0)
            raw = envelope.original_content or envelope.content
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))
        return "250 2.0.0 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Collector]:
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.STEWARD = {
        **settings.STEWARD,
        "MAIL_ENABLED": True,
        "MAIL_DOMAIN": "desk.example.test",
        "MAIL_FROM": "Service desk <desk@desk.example.test>",
        "PUBLIC_URL": "https://steward.example.test",
        "MAIL_MAX_ATTEMPTS": 3,
        "MAIL_RETRY_SECONDS": 60,
    }
    try:
        yield collector
    finally:
        controller.stop()
