"""E-mail ingestion rate: raw messages through ``servicedesk.inbound.ingest``, per second.

For each database: a fresh database with ``--people`` people (``bench.generate``) and a mailbox,
then ``--messages`` raw messages written as .eml files: 60% new mail from known requesters
(each opens an incident), 25% replies naming an earlier message in In-Reply-To (each a comment
on its incident), 10% auto-replies (quarantined) and 5% new mail with a small text attachment.
Each phase runs in processes of their own with production settings (the per-sender rate limit
off, since the senders are few):

1. ``one_worker``: one process ingests every message in order;
2. ``two_workers``: a second, equal set of messages, ingested by two processes at once, each
   going through the whole set, as two workers polling one mailbox would: every message is
   offered twice, and the unique Message-ID must leave exactly one row per message.

Each phase reports messages, wall seconds, messages per second (distinct messages over the
wall time) and the outcome counts; ``two_workers`` also the rows found afterwards.

    python -m bench mail_ingest [--database sqlite|postgres|both] [--messages 2000]
    python -m bench.mail_ingest child prepare|ingest|check ...   (run by the above)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bench import site
from bench.site import DATABASES, ROOT, SiteError
from bench.tickets_common import databases, each_database, speaker

NAME = "mail_ingest"
SUMMARY = "incoming e-mail through ingest(): messages/s, one worker and two racing workers"
MAILBOX = "bench"

say = speaker(NAME)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", choices=[*DATABASES, "both"], default="both")
    parser.add_argument("--people", type=int, default=2_000, help="default: 2000")
    parser.add_argument("--messages", type=int, default=2_000, help="per phase; default 2000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    yield from each_database(
        databases(args.database), lambda database: measure(args, database), say
    )


# --- the parent: one database, its child processes ---------------------------------------------


def _child(env: dict[str, str], log: Path, *arguments: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bench.mail_ingest", "child", *arguments]
    with log.open("ab") as errors:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors)


def _answer(process: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SiteError(f"child failed ({process.returncode}):\n{site._tail(log)}")
    answer: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return answer


def measure(args: argparse.Namespace, database: str) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"steward-bench-mail-{database}-"))
    log = data_dir / "bench.log"
    url = (
        f"sqlite:///{data_dir / 'steward.sqlite3'}" if database == "sqlite" else site.postgres_url()
    )
    created = False
    try:
        for sub in ("static", "media", "prometheus", "one", "two"):
            (data_dir / sub).mkdir()
        if database == "postgres":
            site._create_postgres(url)
        created = True
        env = site.server_environment(database_url=url, data_dir=data_dir)
        env["STEWARD_MAIL_IN_RATE_LIMIT"] = "0"
        say(f"{database}: preparing {args.people} people and 2 x {args.messages} messages")
        facts = _answer(
            _child(
                env,
                log,
                "prepare",
                "--people",
                str(args.people),
                "--messages",
                str(args.messages),
                "--seed",
                str(args.seed),
                "--dir",
                str(data_dir),
            ),
            log,
        )
        say(f"{database}: one worker")
        one = _answer(_child(env, log, "ingest", "--dir", str(data_dir / "one")), log)
        say(f"{database}: two workers on the same messages")
        started = time.perf_counter()
        racers = [_child(env, log, "ingest", "--dir", str(data_dir / "two")) for _ in range(2)]
        answers = [_answer(process, log) for process in racers]
        wall = time.perf_counter() - started
        check = _answer(_child(env, log, "check", "--dir", str(data_dir / "two")), log)
        distinct = args.messages
        return {
            "database": database,
            "database_version": facts["database_version"],
            "people": args.people,
            "one_worker": one,
            "two_workers": {
                "messages": distinct,
                "offered": sum(answer["messages"] for answer in answers),
                "seconds": round(wall, 2),
                "messages_per_s": round(distinct / wall, 1) if wall else None,
                "first_seen": sum(answer["created"] for answer in answers),
                "rows": check["rows"],
                "exactly_once": check["rows"] == distinct
                and sum(answer["created"] for answer in answers) == distinct,
            },
            "loadavg_1m": round(os.getloadavg()[0], 2),
        }
    finally:
        if args.keep:
            say(f"{database}: kept {url} and {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if database == "postgres" and created:
                site._drop_postgres(url)


# --- the child: Django side --------------------------------------------------------------------


def _messages(rng: random.Random, senders: Sequence[str], count: int, tag: str) -> list[bytes]:
    out: list[bytes] = []
    ids: list[tuple[str, str]] = []  # (Message-ID, sender) of the mails that open incidents
    for n in range(count):
        roll = rng.random()
        msg = EmailMessage()
        sender = rng.choice(senders)
        msg["To"] = "desk@bench.example"
        msg["Date"] = "Tue, 02 Jan 2024 09:15:00 +0100"
        message_id = f"<{tag}.{n}@bench.example>"
        msg["Message-ID"] = message_id
        body = f"Message {n}: the printer on floor {rng.randint(1, 9)} is broken.\n"
        if roll < 0.25 and ids:
            original, sender = rng.choice(ids)  # the requester answers on her own incident
            msg["Subject"] = "Re: printer"
            msg["In-Reply-To"] = original
            body = "Still broken.\n\nOn Tue, 2 Jan 2024, Desk <desk@bench.example> wrote:\n> ?\n"
        elif roll < 0.35:
            msg["Subject"] = "Out of office"
            msg["Auto-Submitted"] = "auto-replied"
        else:
            msg["Subject"] = f"Printer {n} broken"
            ids.append((message_id, sender))
        msg["From"] = sender
        msg.set_content(body)
        if 0.35 <= roll < 0.40:
            msg.add_attachment(
                b"log line\n" * 50, maintype="text", subtype="plain", filename="a.log"
            )
        out.append(bytes(msg))
    return out


def child_prepare(*, people: int, messages: int, seed: int, directory: Path) -> dict[str, Any]:
    from django.core.management import call_command

    from bench.generate import generate
    from bench.prepare import _database_version
    from steward.accounts.models import Person
    from steward.servicedesk import inbound

    call_command("migrate", interactive=False, verbosity=0)
    generate(people=people, seed=seed)
    inbound.create_mailbox(
        actor=None,
        name=MAILBOX,
        address="desk@bench.example",
        host="127.0.0.1",
        username="bench",
        unknown_sender="create",
    )
    senders = list(
        Person.objects.filter(is_active=True, roles__code="requester")
        .order_by("pk")
        .values_list("email", flat=True)[:500]
    )
    rng = random.Random(seed)
    for phase in ("one", "two"):
        for n, raw in enumerate(_messages(rng, senders, messages, phase)):
            (directory / phase / f"{n:07d}.eml").write_bytes(raw)
    return {"database_version": _database_version(), "senders": len(senders)}


def child_ingest(directory: Path) -> dict[str, Any]:
    from steward.servicedesk import inbound
    from steward.servicedesk.models.inbound import Mailbox

    mailbox = Mailbox.objects.get(name=MAILBOX)
    files = sorted(directory.glob("*.eml"))
    raws = [path.read_bytes() for path in files]
    statuses: dict[str, int] = {}
    created = 0
    started = time.perf_counter()
    for raw in raws:
        message, first = inbound.receive(mailbox=mailbox, raw=raw)
        created += first
        statuses[message.status] = statuses.get(message.status, 0) + 1
    seconds = time.perf_counter() - started
    return {
        "messages": len(raws),
        "seconds": round(seconds, 2),
        "messages_per_s": round(len(raws) / seconds, 1) if seconds else None,
        "created": created,
        "statuses": statuses,
    }


def child_check(directory: Path) -> dict[str, Any]:
    from steward.servicedesk.models.inbound import InboundMessage

    tag = directory.name
    return {"rows": InboundMessage.objects.filter(message_id__startswith=f"<{tag}.").count()}


def child_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mail_ingest child")
    parser.add_argument("verb", choices=["prepare", "ingest", "check"])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    django.setup()
    if args.verb == "prepare":
        facts = child_prepare(
            people=args.people, messages=args.messages, seed=args.seed, directory=args.dir
        )
    elif args.verb == "ingest":
        facts = child_ingest(args.dir)
    else:
        facts = child_check(args.dir)
    print(json.dumps(facts, default=str))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        sys.exit(child_main(sys.argv[2:]))
    sys.exit("run it as: python -m bench mail_ingest")
