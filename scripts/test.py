"""Everything that must stay green: format, lint, types, tests on SQLite and PostgreSQL.

Run by ``make test`` (and so by ``.ci/run``). With ``CI=true`` the PostgreSQL run and the
browser tests are mandatory: PostgreSQL is started if it is down, and the run fails loudly
if it still cannot be reached or if Chromium is missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/steward"
CHROMIUM = os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium")


def step(title: str, command: list[str], env: dict[str, str] | None = None) -> None:
    print(f"\n=== {title}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    result = subprocess.run(command, cwd=ROOT, env=env)
    print(f"=== {title}: exit {result.returncode} in {time.monotonic() - started:.0f}s", flush=True)
    if result.returncode == 5 and "pytest" in command[0]:
        print(f"=== {title}: no tests were collected", flush=True)
        return
    if result.returncode != 0:
        sys.exit(result.returncode)


def pg_reachable(url: str) -> bool:
    import psycopg

    parts = urlparse(url)
    try:
        with psycopg.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            return True
    except psycopg.OperationalError:
        return False


def start_postgres() -> None:
    """Try the Debian cluster tools, as the machine's services are started."""
    versions = sorted(glob.glob("/etc/postgresql/*"))
    if not versions or not shutil.which("pg_ctlcluster"):
        print("pg_ctlcluster not found; cannot start PostgreSQL", flush=True)
        return
    version = Path(versions[-1]).name
    print(f"PostgreSQL is down; starting cluster {version}/main", flush=True)
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False
    )
    for _ in range(30):
        if pg_reachable(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)):
            return
        time.sleep(1)


def pytest_env(database_url: str | None, workers: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, STEWARD_ENV="test")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["STEWARD_DATA_DIR"] = str(ROOT / "var" / "test")
    command = [str(BIN / "pytest"), "-p", "no:cacheprovider", "-n", workers]
    return command, env


def main() -> None:
    workers = os.environ.get("TEST_WORKERS", "2")
    if CI:
        os.environ["STEWARD_REQUIRE_BROWSER"] = "1"
        if not Path(CHROMIUM).exists():
            sys.exit(f"CI=true but Chromium is missing at {CHROMIUM}; install Debian's chromium.")
    step("ruff format", [str(BIN / "ruff"), "format", "--check", "."])
    step("ruff check", [str(BIN / "ruff"), "check", "."])
    step("mypy", [str(BIN / "mypy")])

    command, env = pytest_env(None, workers)
    step("tests on SQLite", command, env)

    pg_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    if not pg_reachable(pg_url) and CI:
        start_postgres()
    if pg_reachable(pg_url):
        command, env = pytest_env(pg_url, workers)
        step("tests on PostgreSQL", command, env)
    elif CI:
        sys.exit(f"CI=true but PostgreSQL is unreachable at {pg_url}; refusing to skip it.")
    else:
        print(f"\nPostgreSQL not reachable at {pg_url}: skipped (mandatory with CI=true).")
    print("\nAll checks passed.")


if __name__ == "__main__":
    main()
