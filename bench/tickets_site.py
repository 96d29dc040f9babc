"""A throw-away site for the ticket benchmarks, prepared by ``bench.tickets_prepare``.

The same life as ``bench.site.running_site`` (its own database, production settings, a child
process to fill it, gunicorn, everything torn down on leaving), built from that module's
parts, with two differences: the child is ``bench.tickets_prepare`` with the arguments the
benchmark gives, and serving is optional (the audit chain needs no web server). The site can
run more children against the same database and settings (``run``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import site
from bench.site import DATABASES, HOST, ROOT, SiteError


@dataclass
class TicketSite:
    """A prepared database, and the gunicorn serving it when asked for."""

    database: str
    database_url: str
    env: dict[str, str]
    log: Path
    facts: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    server_pid: int = 0
    workers: int = 0

    def run(self, *arguments: str) -> dict[str, Any]:
        """``python -m bench.tickets_prepare ARGUMENTS`` here; its JSON answer."""
        command = [sys.executable, "-m", "bench.tickets_prepare", *arguments]
        with self.log.open("ab") as errors:
            done = subprocess.run(
                command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=errors
            )
        if done.returncode != 0:
            raise SiteError(
                f"bench.tickets_prepare {arguments[0]} failed ({done.returncode}):\n"
                f"{site._tail(self.log)}"
            )
        answer: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return answer

    def database_pids(self) -> list[int]:
        return site.database_pids(self.database, self.database_url)


@contextmanager
def running_ticket_site(
    database: str,
    *,
    prepare: Sequence[str],
    serve: bool = True,
    workers: int = 2,
    keep: bool = False,
    say: Callable[[str], None] = lambda message: None,
) -> Iterator[TicketSite]:
    """Create a database, run ``bench.tickets_prepare PREPARE`` on it, serve it if asked."""
    if database not in DATABASES:
        raise ValueError(f"database must be one of {', '.join(DATABASES)}")
    data_dir = Path(tempfile.mkdtemp(prefix=f"steward-bench-{database}-"))
    log = data_dir / "server.log"
    database_url = (
        f"sqlite:///{data_dir / 'steward.sqlite3'}" if database == "sqlite" else site.postgres_url()
    )
    created = False
    server: subprocess.Popen[bytes] | None = None
    try:
        for sub in ("static", "media", "prometheus"):
            (data_dir / sub).mkdir()
        if database == "postgres":
            site._create_postgres(database_url)
        created = True
        env = site.server_environment(database_url=database_url, data_dir=data_dir)
        here = TicketSite(database=database, database_url=database_url, env=env, log=log)
        say(f"{database}: preparing ({' '.join(prepare)})")
        here.facts = here.run(*prepare)
        if serve:
            port = site.free_port()
            here.url = f"http://{HOST}:{port}"
            say(f"{database}: starting gunicorn with {workers} workers at {here.url}")
            server = site._start_gunicorn(env, port=port, workers=workers, log=log)
            site._wait_until_healthy(server, here.url, log)
            here.server_pid, here.workers = server.pid, workers
        yield here
    finally:
        if server is not None:
            site._stop(server)
        if keep:
            say(f"{database}: kept {database_url} and {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if database == "postgres" and created:
                site._drop_postgres(database_url)
