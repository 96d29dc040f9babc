"""``python -m bench``: run a benchmark and print one JSON object of figures per run.

    python -m bench --list
    python -m bench api_list [--database sqlite|postgres|both] [--people 10000] ...
    python -m bench tickets_queue | ticket_create | ticket_search | audit_chain | mail_ingest
    python -m bench helpdesk_create    # the peer django-helpdesk, measured the same way

Each benchmark yields one set of figures per database; the runner adds what every line
carries (benchmark, versions, machine, timestamp) and prints each as one JSON line on
stdout. Progress goes to stderr. The exit status is 1 when any run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

from bench import (
    api_list,
    audit_chain,
    event_log_import,
    helpdesk_peer,
    mail_ingest,
    ticket_create,
    ticket_search,
    tickets_queue,
)

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Benchmark:
    """A named benchmark: its options, and a run yielding figures per database."""

    name: str
    summary: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], Iterator[dict[str, Any]]]


BENCHMARKS = {
    benchmark.name: benchmark
    for benchmark in (
        Benchmark(api_list.NAME, api_list.SUMMARY, api_list.add_arguments, api_list.run),
        *(
            Benchmark(module.NAME, module.SUMMARY, module.add_arguments, module.run)
            for module in (
                tickets_queue,
                ticket_create,
                ticket_search,
                audit_chain,
                mail_ingest,
                helpdesk_peer,
                event_log_import,
            )
        ),
    )
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run a Steward benchmark; prints one JSON object of figures per run.",
    )
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    commands = parser.add_subparsers(dest="name", metavar="BENCHMARK")
    for benchmark in BENCHMARKS.values():
        sub = commands.add_parser(benchmark.name, help=benchmark.summary)
        benchmark.add_arguments(sub)
    return parser


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def _commit() -> str | None:
    """The checked-out commit, with ``+dirty`` when the working tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if status.stdout.strip() else "")


def environment() -> dict[str, Any]:
    """What every JSON line says about the software and the machine."""
    return {
        "commit": _commit(),
        "python": platform.python_version(),
        "django": _version("django"),
        "gunicorn": _version("gunicorn"),
        "cpu_count": os.cpu_count(),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds, so every running site is torn down


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        for benchmark in BENCHMARKS.values():
            print(f"{benchmark.name:14} {benchmark.summary}")
        return 0
    if args.name is None:
        parser.print_help(sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    failed = False
    try:
        for figures in BENCHMARKS[args.name].run(args):
            failed |= "error" in figures
            print(json.dumps({"benchmark": args.name, **figures, **environment()}), flush=True)
    except KeyboardInterrupt:
        print("interrupted; servers stopped, databases dropped", file=sys.stderr)
        return 130
    return 1 if failed else 0
