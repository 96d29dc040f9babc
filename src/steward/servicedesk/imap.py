"""Reading mailboxes over IMAP (``imaplib``): fetch unseen mail, ingest it, flag it seen.

A message is flagged ``\\Seen`` (and moved, if the mailbox names a processed folder) only after
``ingest`` committed it, so a crash between the two makes the next poll fetch it again, and the
unique Message-ID makes that second ingest a no-op. Two workers polling the same mailbox at once
fetch the same messages; each message still becomes one ticket. A connection or login failure
is recorded on the mailbox (``last_error``) and the next poll tries again.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field

from django.utils import timezone

from steward.servicedesk import inbound
from steward.servicedesk.models.inbound import InboundStatus, Mailbox, MailboxTls

logger = logging.getLogger("steward.mail")

TIMEOUT_SECONDS = 30
BATCH = 200


@dataclass
class FetchResult:
    """What one poll of one mailbox did."""

    mailbox: str
    fetched: int = 0
    processed: int = 0
    quarantined: int = 0
    duplicates: int = 0
    error: str = ""
    message_ids: list[int] = field(default_factory=list)


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """A logged-in IMAP connection with the mailbox's TLS mode (certificates verified)."""
    context = ssl.create_default_context()
    connection: imaplib.IMAP4
    if mailbox.tls == MailboxTls.SSL:
        connection = imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=context, timeout=TIMEOUT_SECONDS
        )
    else:
        connection = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
        if mailbox.tls == MailboxTls.STARTTLS:
            connection.starttls(ssl_context=context)
    connection.login(mailbox.username, mailbox.password)
    return connection


def _folder(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_connection(mailbox: Mailbox) -> str:
    """Log in and open the folder; a sentence on success. Raises on failure."""
    connection = connect(mailbox)
    try:
        status, data = connection.select(_folder(mailbox.folder), readonly=True)
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder!r}")
        count = int(data[0] or b"0") if data and isinstance(data[0], bytes) else 0
        return f"Connected: {count} messages in {mailbox.folder}."
    finally:
        _logout(connection)


def fetch_mailbox(mailbox: Mailbox, *, limit: int = BATCH) -> FetchResult:
    """Fetch up to ``limit`` unseen messages, ingest each, flag it seen (and move it)."""
    result = FetchResult(mailbox=mailbox.name)
    try:
        connection = connect(mailbox)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        return _failed(mailbox, result, error)
    try:
        _fetch(connection, mailbox, result, limit)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as error:
        return _failed(mailbox, result, error)
    finally:
        _logout(connection)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error="")
    return result


def _fetch(connection: imaplib.IMAP4, mailbox: Mailbox, result: FetchResult, limit: int) -> None:
    status, _ = connection.select(_folder(mailbox.folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open folder {mailbox.folder!r}")
    status, data = connection.uid("SEARCH", "UNSEEN")
    found = (data[0] or b"").split() if status == "OK" and data else []
    uids = [uid.decode("ascii") for uid in found]
    moved = False
    for uid in uids[:limit]:
        raw = _fetch_one(connection, uid)
        if raw is None:
            continue
        result.fetched += 1
        message, created = inbound.receive(mailbox=mailbox, raw=raw)
        result.message_ids.append(message.pk)
        if not created:
            result.duplicates += 1
        elif message.status == InboundStatus.QUARANTINED:
            result.quarantined += 1
        else:
            result.processed += 1
        connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        if mailbox.processed_folder:
            copied, _ = connection.uid("COPY", uid, _folder(mailbox.processed_folder))
            if copied == "OK":
                connection.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
                moved = True
    if moved:
        connection.expunge()


def _fetch_one(connection: imaplib.IMAP4, uid: str) -> bytes | None:
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK" or not data:
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and re.search(rb"BODY\[\]", item[0]):
            return bytes(item[1])
    return None


def _failed(mailbox: Mailbox, result: FetchResult, error: BaseException) -> FetchResult:
    result.error = f"{type(error).__name__}: {error}"[:1000]
    logger.warning("mailbox %s: %s", mailbox.name, result.error)
    now = timezone.now()
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=now, last_error=result.error, last_error_at=now
    )
    return result


def _logout(connection: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        connection.logout()


def poll_enabled() -> list[FetchResult]:
    """Fetch every enabled mailbox once (the periodic task's work)."""
    return [fetch_mailbox(mailbox) for mailbox in Mailbox.objects.filter(is_enabled=True)]
