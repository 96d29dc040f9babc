"""Importing the public ITSM event logs: time and peak memory per data set and database.

    python -m bench event_log_import [--database sqlite|postgres|both]
        [--dataset servicenow|bpic2013|bpic2014|all] [--data DIR]

Each import runs ``steward import`` in a child process on a freshly migrated database (a
SQLite file in a temporary directory, or the PostgreSQL database ``steward_bench_importers``,
dropped and created), as production runs it (``STEWARD_ENV=production``, mail on). The
figures: wall-clock seconds of the import (migration excluded), the child's CPU seconds
(user + system: the figure that does not depend on what else the machine runs) and its
peak resident memory (``ru_maxrss``; both from ``os.wait4``), the cases and events it
wrote, and the same for a second run of the same file (which must add nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import site

NAME = "event_log_import"
SUMMARY = "import the public event logs (ServiceNow, BPIC 2013, BPIC 2014): time, peak RSS"
DATABASE = "steward_bench_importers"
DATASETS: dict[str, list[tuple[str, str]]] = {
    "servicenow": [("servicenow-incidents", "servicenow-incident-log/incident_event_log.csv.xz")],
    "bpic2013": [
        ("bpic2013", "bpic2013-vinst/BPI_Challenge_2013_incidents.xes.gz"),
        ("bpic2013", "bpic2013-vinst/BPI_Challenge_2013_open_problems.xes.gz"),
        ("bpic2013", "bpic2013-vinst/VINST_cases_closed_problems.csv"),
    ],
    "bpic2014": [("bpic2014-changes", "bpic2014-changes-partial/BPI_2014_Detail_Change.xes.gz")],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", choices=(*site.DATABASES, "both"), default="both")
    parser.add_argument("--dataset", choices=(*DATASETS, "all"), default="all")
    parser.add_argument(
        "--data",
        default=os.environ.get("STEWARD_SHARED_DATA", str(site.ROOT.parent / "shared" / "data")),
        help="the folder holding the data sets (default ../shared/data)",
    )


def _migrate(env: dict[str, str]) -> None:
    argv = [sys.executable, "-m", "steward.cli", "manage", "migrate", "-v0"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed: {done.stderr[-2000:]}")


def _import(source: str, path: Path, env: dict[str, str], work: Path) -> dict[str, Any]:
    """One ``steward import`` in a child process: its wall time, peak RSS and summary."""
    argv = [sys.executable, "-m", "steward.cli", "import", source, str(path), "--quiet", "--json"]
    out_path, err_path = work / "out.json", work / "err.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        began = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _pid, _status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
    text = out_path.read_text()
    if not text.strip():
        raise RuntimeError(f"{' '.join(argv)} printed nothing: {err_path.read_text()[-2000:]}")
    summary = json.loads(text)
    counts = summary.get("counts", {})
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": usage.ru_maxrss // 1024,
        "status": summary["status"],
        "cases": summary["cases"],
        "created": {k: v for k, v in counts.items() if k.endswith("s_created")},
        "events_replayed": counts.get("events_replayed", 0),
        "already_imported": counts.get("cases_already_imported", 0),
        "errors": counts.get("errors", 0),
        "unmapped_values": len(summary.get("unmapped", [])),
    }


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    data = Path(args.data)
    databases = site.DATABASES if args.database == "both" else (args.database,)
    datasets = list(DATASETS) if args.dataset == "all" else [args.dataset]
    for database in databases:
        for dataset in datasets:
            with tempfile.TemporaryDirectory(prefix="steward-bench-import-") as tmp:
                data_dir = Path(tmp)
                if database == "sqlite":
                    url = f"sqlite:///{data_dir / 'steward.sqlite3'}"
                else:
                    url = site.postgres_url().rsplit("/", 1)[0] + f"/{DATABASE}"
                    assert "bench" in DATABASE
                    site._create_postgres(url, name=DATABASE)
                try:
                    env = site.server_environment(database_url=url, data_dir=data_dir)
                    env.pop("STEWARD_SMTP_URL", None)
                    # this checkout's code, also when the virtualenv was installed from another
                    env["PYTHONPATH"] = os.pathsep.join((str(site.ROOT / "src"), env["PYTHONPATH"]))
                    _migrate(env)
                    for source, name in DATASETS[dataset]:
                        path = data / name
                        first = _import(source, path, env, data_dir)
                        again = _import(source, path, env, data_dir)
                        print(f"{database} {name}: {first['seconds']} s", file=sys.stderr)
                        yield {
                            "database": database,
                            "dataset": dataset,
                            "file": name,
                            "first": first,
                            "again": again,
                        }
                finally:
                    if database == "postgres":
                        site._drop_postgres(url, name=DATABASE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=SUMMARY)
    add_arguments(parser)
    args = parser.parse_args(argv)
    for figures in run(args):
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
