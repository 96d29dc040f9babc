"""The peer's ticket creation, measured as ``ticket_create`` measures Steward's.

``python -m bench helpdesk_create`` serves django-helpdesk (2.6.x, from the package
registry) with a small project of our own (``bench/peers/helpdesk/``) and drives its REST
API the way ``bench.ticket_create`` drives Steward's: a fresh PostgreSQL database of its own
(``bench_helpdesk_<random>``, dropped afterwards unless ``--keep``), gunicorn with
``--workers`` sync workers and DEBUG off, ``--concurrency`` client threads POSTing for
``--duration`` seconds after ``--warmup`` with the same load driver (``run_calls``) and the
same measured phase (``measure_phase``: latency, CPU of the server and of PostgreSQL).

Each request creates a ticket as a staff superuser with an API token (DRF's
``Authorization: Token``), in the one queue, with a title and description from the same word
lists as Steward's benchmark, a submitter e-mail (one of 200) and a priority from 1 to 5.
django-helpdesk then does its usual work: the ticket, its opening follow-up, the e-mail to
the submitter (built, then handed to Django's in-memory ``locmem`` backend: nothing leaves
the machine), the recipients recorded on the follow-up, back-links, its ``new_ticket_done``
signal (no webhooks configured). Afterwards the tickets in the database are counted against
the 201 answers.

The peer runs in a virtualenv of its own, ``bench/.peers/helpdesk-venv`` (not in the
repository), created on the first run with the Python running this and filled from the
package registry with pip: django-helpdesk 2.6.x, the gunicorn version Steward's benchmarks
run, and psycopg. Later runs only check what is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench import site
from bench.site import HOST, ROOT, SiteError
from bench.tickets_common import (
    PROXY_HEADERS,
    add_load_arguments,
    creation_load,
    each_database,
    measure_phase,
    speaker,
)

NAME = "helpdesk_create"
SUMMARY = "the peer django-helpdesk: POST its ticket API as staff, creations/s and latency"

PEER_DIR = ROOT / "bench" / "peers" / "helpdesk"
VENV = ROOT / "bench" / ".peers" / "helpdesk-venv"
#: The peer's own API, under the URLs of ``bench/peers/helpdesk/peer_site/urls.py``.
TICKETS_PATH = "/helpdesk/api/tickets/"
HELPDESK_SERIES = "2.6"
#: Distinct submitter addresses the requests choose from, as Steward's picks 200 requesters.
SUBMITTERS = 200
#: Tickets created in-process before serving, to count queries and e-mails (the first warms up).
IN_PROCESS_REPEAT = 20
DATABASE_PREFIX = "bench_helpdesk_"
#: What the peer's settings read; nothing else of the caller's configuration goes in.
PEER_VARIABLES = ("DATABASE_URL", "SECRET_KEY", "PEER_ALLOWED_HOSTS", "PEER_DATA_DIR")
INHERITED_EXCLUDED = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")

say = speaker(NAME)


# --- the peer's virtualenv -----------------------------------------------------------------


def requirements(gunicorn_version: str) -> list[str]:
    """What pip installs into the peer's virtualenv."""
    return [
        f"django-helpdesk=={HELPDESK_SERIES}.*",
        f"gunicorn=={gunicorn_version}",
        "psycopg[binary]",
    ]


def unmet(installed: Mapping[str, str | None], gunicorn_version: str) -> list[str]:
    """The requirements ``installed`` (distribution to version, ``None``: absent) lacks."""
    missing = []
    helpdesk = installed.get("django-helpdesk")
    if helpdesk is None or not helpdesk.startswith(f"{HELPDESK_SERIES}."):
        missing.append(f"django-helpdesk=={HELPDESK_SERIES}.*")
    if installed.get("gunicorn") != gunicorn_version:
        missing.append(f"gunicorn=={gunicorn_version}")
    if installed.get("psycopg") is None or installed.get("psycopg-binary") is None:
        missing.append("psycopg[binary]")
    return missing


def venv_python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


_VERSIONS_SCRIPT = """
import json
from importlib import metadata
found = {}
for name in ("django-helpdesk", "django", "djangorestframework", "gunicorn", "psycopg",
             "psycopg-binary"):
    try:
        found[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        found[name] = None
print(json.dumps(found))
"""


def installed_versions(python: Path) -> dict[str, str | None]:
    done = subprocess.run(
        [str(python), "-c", _VERSIONS_SCRIPT], capture_output=True, text=True, check=True
    )
    return last_json_line(done.stdout)


def ensure_peer_venv(say: Callable[[str], None] = say, venv: Path = VENV) -> dict[str, str | None]:
    """The peer's virtualenv, created and filled from the package registry when lacking.

    Progress and pip's output go to stderr; stdout stays for the JSON line. Returns the
    versions installed there.
    """
    gunicorn_version = metadata.version("gunicorn")
    python = venv_python(venv)
    if not python.exists():
        say(f"creating the peer's virtualenv {venv.relative_to(ROOT)} (once)")
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=sys.stderr)
    missing = unmet(installed_versions(python), gunicorn_version)
    if missing:
        say(f"installing {' '.join(missing)} from the package registry into the peer's venv")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", *missing],
            check=True,
            stdout=sys.stderr,
        )
    versions = installed_versions(python)
    still = unmet(versions, gunicorn_version)
    if still:
        raise SiteError(f"the peer's virtualenv still lacks {' '.join(still)}")
    return versions


# --- the peer's site -----------------------------------------------------------------------


def database_url(name: str, base: str | None = None) -> str:
    """The URL of database ``name`` on the PostgreSQL server Steward's benchmarks use."""
    parts = urlsplit(site.postgres_url(base))
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def database_name() -> str:
    return DATABASE_PREFIX + secrets.token_hex(4)


def peer_environment(
    *, database_url: str, data_dir: Path, inherited: Mapping[str, str]
) -> dict[str, str]:
    """The peer site's environment: its own settings, nothing of Steward's or the caller's."""
    env = {
        key: value
        for key, value in inherited.items()
        if not key.startswith(("STEWARD_", "HELPDESK_", "PEER_"))
        and key not in PEER_VARIABLES
        and key not in INHERITED_EXCLUDED
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "peer_site.settings",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "PEER_ALLOWED_HOSTS": f"{HOST},localhost,testserver",
            "DATABASE_URL": database_url,
            "PEER_DATA_DIR": str(data_dir),
            "PYTHONPATH": str(PEER_DIR),
        }
    )
    return env


def last_json_line(output: str) -> dict[str, Any]:
    """The JSON object on the last non-empty line of a child's stdout."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    if not lines:
        raise SiteError("the child printed nothing")
    answer = json.loads(lines[-1])
    if not isinstance(answer, dict):
        raise SiteError(f"the child's last line is not a JSON object: {lines[-1][:200]}")
    return answer


def ticket_body(rng: random.Random, *, submitters: Sequence[str]) -> dict[str, Any]:
    """One ticket as staff logs it: the texts Steward's benchmark uses, a submitter, a priority.

    The peer requires a description, so Steward's empty one is left out. The queue is added
    by whoever knows its id.
    """
    from bench.generate_tickets import DESCRIPTIONS, PROBLEMS, SUBJECTS

    return {
        "title": f"{rng.choice(SUBJECTS)} {rng.choice(PROBLEMS)}",
        "description": rng.choice([text for text in DESCRIPTIONS if text]),
        "submitter_email": rng.choice(submitters),
        "priority": rng.randint(1, 5),
    }


def submitters(count: int = SUBMITTERS) -> list[str]:
    return [f"requester{n:03d}@customer.invalid" for n in range(1, count + 1)]


@dataclass
class PeerSite:
    """The peer's database, its environment, and the gunicorn serving it."""

    database: str
    database_url: str
    env: dict[str, str]
    log: Path
    data_dir: Path
    facts: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    server_pid: int = 0
    workers: int = 0

    def run(self, *arguments: str) -> dict[str, Any]:
        """``python -m peer_site.prepare ARGUMENTS`` in the peer's venv; its JSON answer."""
        command = [str(venv_python()), "-m", "peer_site.prepare", *arguments]
        with self.log.open("ab") as errors:
            done = subprocess.run(
                command, cwd=PEER_DIR, env=self.env, stdout=subprocess.PIPE, stderr=errors
            )
        if done.returncode != 0:
            raise SiteError(
                f"peer_site.prepare {arguments[0]} failed ({done.returncode}):\n"
                f"{site._tail(self.log)}"
            )
        return last_json_line(done.stdout.decode())

    def database_pids(self) -> list[int]:
        return site.database_pids("postgres", self.database_url)


@contextmanager
def running_helpdesk_site(
    *,
    bodies: Sequence[dict[str, Any]],
    workers: int = 2,
    keep: bool = False,
    say: Callable[[str], None] = say,
) -> Iterator[PeerSite]:
    """A fresh database, prepared (``create`` with ``bodies`` in-process), served by gunicorn."""
    data_dir = Path(tempfile.mkdtemp(prefix="steward-bench-helpdesk-"))
    for sub in ("static", "media"):
        (data_dir / sub).mkdir()
    name = database_name()
    url = database_url(name)
    created = False
    server: subprocess.Popen[bytes] | None = None
    try:
        site._create_postgres(url, name=name)
        created = True
        env = peer_environment(database_url=url, data_dir=data_dir, inherited=os.environ)
        here = PeerSite(
            database=name, database_url=url, env=env, log=data_dir / "server.log", data_dir=data_dir
        )
        bodies_file = data_dir / "in_process_bodies.json"
        bodies_file.write_text(json.dumps(list(bodies)))
        say(f"{name}: migrating, agent and token, queue, {len(bodies)} tickets in-process")
        started = time.perf_counter()
        here.facts = here.run("create", "--bodies", str(bodies_file))
        here.facts["setup_s"]["prepare"] = round(time.perf_counter() - started, 2)
        port = site.free_port()
        here.url = f"http://{HOST}:{port}"
        say(f"{name}: starting the peer's gunicorn with {workers} workers at {here.url}")
        server = site._start_gunicorn(
            env,
            port=port,
            workers=workers,
            log=here.log,
            python=str(venv_python()),
            application="peer_site.wsgi:application",
            cwd=PEER_DIR,
        )
        site._wait_until_healthy(server, here.url, here.log)
        here.server_pid, here.workers = server.pid, workers
        yield here
    finally:
        if server is not None:
            site._stop(server)
        if keep:
            say(f"kept {url} and {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if created:
                site._drop_postgres(url, name=name)


# --- the benchmark -------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="request seed (default 1)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the server log afterwards"
    )
    add_load_arguments(parser, duration=15.0)


def measure_helpdesk(args: argparse.Namespace, say: Callable[[str], None] = say) -> dict[str, Any]:
    """Install the peer if needed, serve it, create tickets under load; the figures."""
    versions = ensure_peer_venv(say)
    load_before = os.getloadavg()[0]
    addresses = submitters()
    rng = random.Random(args.seed)
    bodies = [ticket_body(rng, submitters=addresses) for _ in range(IN_PROCESS_REPEAT)]
    with running_helpdesk_site(
        bodies=bodies, workers=args.workers, keep=args.keep, say=say
    ) as peer:
        facts = peer.facts
        queue = facts["queue_id"]

        def create(client: httpx.Client, rng: random.Random) -> httpx.Response:
            return client.post(
                TICKETS_PATH, json={**ticket_body(rng, submitters=addresses), "queue": queue}
            )

        headers = {
            **PROXY_HEADERS,
            "Authorization": f"Token {facts['token']}",
            "Accept": "application/json",
        }
        load, phases = creation_load(peer.url, create, headers=headers, args=args)
        say(f"{args.warmup:g}s warm-up, then creating at {args.concurrency}")
        figures = measure_phase(peer, load, args)
        check = peer.run("check", "--after-id", str(facts["last_ticket_id_before"]))
        answered = sum(phase.statuses.get(201, 0) for phase in phases)
        check["created_201"] = answered + facts["in_process_created"]
        check["tickets_match_201"] = check["tickets"] == check["created_201"]
        return {
            "database": "postgres",
            "database_version": facts["database_version"],
            "peer": "django-helpdesk",
            "peer_version": versions["django-helpdesk"],
            "peer_versions": facts["versions"],
            "endpoint": f"POST {TICKETS_PATH}",
            "as": "staff superuser (API token)",
            "tickets_before": facts["in_process_created"],
            "queries_per_creation": facts["queries_per_creation"],
            "emails_per_creation": facts["emails_per_creation"],
            "email_backend": facts["email_backend"],
            "in_process_ms": facts["in_process_ms"],
            "concurrency": args.concurrency,
            "warmup_s": args.warmup,
            **figures,
            "creations_per_s": figures["rps"],
            "check": check,
            "server": f"gunicorn {peer.workers} workers (sync)",
            "loadavg_1m_before": round(load_before, 2),
            "setup_s": facts["setup_s"],
        }


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    yield from each_database(("postgres",), lambda database: measure_helpdesk(args), say)
