"""The mail ingestion benchmark's options and message mix (no database)."""

from __future__ import annotations

import random
from email import message_from_bytes

from bench import mail_ingest, runner


def test_defaults() -> None:
    args = runner.build_parser().parse_args(["mail_ingest"])
    assert (args.database, args.people, args.messages) == ("both", 2_000, 2_000)


def test_messages_mix_new_mail_replies_and_auto_replies() -> None:
    senders = [f"r{n}@bench.example" for n in range(10)]
    raws = mail_ingest._messages(random.Random(1), senders, 400, "one")
    parsed = [message_from_bytes(raw) for raw in raws]
    ids = [msg["Message-ID"] for msg in parsed]
    assert len(set(ids)) == 400 and ids[0] == "<one.0@bench.example>"
    replies = [msg for msg in parsed if msg["In-Reply-To"]]
    auto = [msg for msg in parsed if msg["Auto-Submitted"]]
    assert 60 < len(replies) < 140 and 20 < len(auto) < 70
    by_id = {msg["Message-ID"]: msg for msg in parsed}
    for reply in replies:  # a requester answers on her own incident, never an auto-reply
        original = by_id[reply["In-Reply-To"]]
        assert original["From"] == reply["From"] and not original["Auto-Submitted"]
