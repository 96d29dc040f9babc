"""A throw-away Steward site per benchmark: its own database, filled, served by gunicorn.

``running_site("sqlite" | "postgres", ...)`` creates a fresh database (a SQLite file in a
temporary directory, or the PostgreSQL database ``steward_bench``, dropped and created),
prepares it in a child process (``bench.prepare``: migrate, generate, token), starts gunicorn
as production runs it (``STEWARD_ENV=production``, a real secret key, sync workers) and waits
for ``/healthz``. On leaving, gunicorn is stopped and the database dropped, also on errors.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

DATABASES = ("sqlite", "postgres")
#: Where PostgreSQL runs; the same variable the test runner reads (its path is ignored).
POSTGRES_URL_VARIABLE = "TEST_DATABASE_URL"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "steward_bench"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
ROOT = Path(__file__).resolve().parent.parent


class SiteError(RuntimeError):
    """The site could not be set up or served."""


@dataclass
class Site:
    """A served benchmark site: where it answers, whose token to use, what it holds."""

    database: str
    database_url: str
    url: str
    token: str
    facts: dict[str, Any]
    workers: int
    server_pid: int

    def database_pids(self) -> list[int]:
        return database_pids(self.database, self.database_url)


def database_pids(database: str, database_url: str) -> list[int]:
    """PostgreSQL's backend processes serving a site's database (none for SQLite)."""
    if database != "postgres":
        return []
    import psycopg

    with psycopg.connect(database_url, connect_timeout=5) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def postgres_url(base: str | None = None) -> str:
    """The benchmark database's URL on the server ``base`` (or the environment) names."""
    parts = urlsplit(base or os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{POSTGRES_DATABASE}", parts.query, ""))


def _postgres_admin(url: str) -> Any:
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def _drop_postgres(url: str, *, name: str = POSTGRES_DATABASE) -> None:
    from psycopg import sql

    with _postgres_admin(url) as connection:
        database = sql.Identifier(name)
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))


def _create_postgres(url: str, *, name: str = POSTGRES_DATABASE) -> None:
    from psycopg import sql

    _drop_postgres(url, name=name)
    with _postgres_admin(url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(*, database_url: str, data_dir: Path) -> dict[str, str]:
    """Production settings for the site; nothing inherited from the caller's Steward config."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("STEWARD_") and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "steward.config.settings",
            "STEWARD_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "STEWARD_ALLOWED_HOSTS": f"{HOST},localhost,testserver",
            "DATABASE_URL": database_url,
            "STEWARD_DATA_DIR": str(data_dir),
            # Mail on, as in production, so each change queues its notifications and their
            # sending task; no worker runs during a benchmark, so nothing is sent (port 9).
            "STEWARD_SMTP_URL": f"smtp://{HOST}:9",
            "STEWARD_MAIL_DOMAIN": "bench.example.org",
            "STEWARD_STATIC_ROOT": str(data_dir / "static"),
            "STEWARD_MEDIA_ROOT": str(data_dir / "media"),
            "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "prometheus"),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


def _prepare(
    env: dict[str, str], *, people: int, acting_as: str, seed: int, log: Path
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.prepare", "--people", str(people)]
    command += ["--as", acting_as, "--seed", str(seed)]
    with log.open("ab") as errors:
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors)
    if done.returncode != 0:
        raise SiteError(f"bench.prepare failed ({done.returncode}):\n{_tail(log)}")
    facts: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return facts


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _gunicorn_has_setting(name: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == name for setting in KNOWN_SETTINGS)


def _start_gunicorn(
    env: dict[str, str],
    *,
    port: int,
    workers: int,
    log: Path,
    python: str = sys.executable,
    application: str = "steward.config.wsgi:application",
    cwd: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """gunicorn as ``steward run`` starts it, in a process group of its own.

    ``python``, ``application`` and ``cwd`` serve another project the same way (the peers
    measured beside Steward); that ``python``'s gunicorn must be the version imported here.
    """
    command = [
        python,
        "-m",
        "gunicorn",
        application,
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "/dev/null",
        "--graceful-timeout",
        "5",
    ]
    if _gunicorn_has_setting("control_socket_disable"):
        command.append("--no-control-socket")  # gunicorn 25.1+ would share ~/.gunicorn's
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=output, start_new_session=True
        )


def _wait_until_healthy(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SiteError(f"gunicorn exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SiteError(f"gunicorn did not answer /healthz in {STARTUP_TIMEOUT:.0f}s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the master (graceful), then SIGKILL to its process group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def running_site(
    database: str,
    *,
    people: int,
    acting_as: str = "staff",
    seed: int = 1,
    workers: int = 2,
    keep: bool = False,
    say: Callable[[str], None] = lambda message: None,
) -> Iterator[Site]:
    """Create, fill and serve a site on ``database``; tear it all down afterwards."""
    if database not in DATABASES:
        raise ValueError(f"database must be one of {', '.join(DATABASES)}")
    data_dir = Path(tempfile.mkdtemp(prefix=f"steward-bench-{database}-"))
    log = data_dir / "server.log"
    database_url = (
        f"sqlite:///{data_dir / 'steward.sqlite3'}" if database == "sqlite" else postgres_url()
    )
    created = False
    server: subprocess.Popen[bytes] | None = None
    try:
        for sub in ("static", "media", "prometheus"):
            (data_dir / sub).mkdir()
        if database == "postgres":
            _create_postgres(database_url)
        created = True
        env = server_environment(database_url=database_url, data_dir=data_dir)
        say(f"{database}: migrating and generating {people} people")
        facts = _prepare(env, people=people, acting_as=acting_as, seed=seed, log=log)
        port = free_port()
        url = f"http://{HOST}:{port}"
        say(f"{database}: starting gunicorn with {workers} workers at {url}")
        server = _start_gunicorn(env, port=port, workers=workers, log=log)
        _wait_until_healthy(server, url, log)
        yield Site(
            database=database,
            database_url=database_url,
            url=url,
            token=facts.pop("token"),
            facts=facts,
            workers=workers,
            server_pid=server.pid,
        )
    finally:
        if server is not None:
            _stop(server)
        if keep:
            say(f"{database}: kept {database_url} and {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if database == "postgres" and created:
                _drop_postgres(database_url)
