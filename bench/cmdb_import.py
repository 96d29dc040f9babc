"""Importing a CMDB from one CSV file, then importing the same file again.

Run against the database the environment configures (``DATABASE_URL``; migrate it first;
its CMDB tables are emptied)::

    python -m bench.cmdb_import --cis 100000 [--seed 1]

The file: servers (identified by serial number), virtual servers (by host name) each running
on a server, applications each running on a virtual server, in equal thirds; so one
relationship per virtual server and application. The first import goes through the same
services as every other write (validation, audit, impact edges) and creates everything;
the second must create and change nothing. Prints one JSON object: seconds and rows per
second for each, and the counts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from typing import Any


def make_csv(*, cis: int, seed: int) -> bytes:
    rng = random.Random(seed)
    third = max(1, cis // 3)
    out = io.StringIO()
    out.write("class,name,serial_number,hostname,domain,cpu_cores,rel:runs_on\n")
    for n in range(third):
        out.write(f"server,srv-{n:06d},SN{n:08d},srv-{n:06d},corp,{rng.choice((16, 32, 64))},\n")
    for n in range(third):
        host = f"srv-{rng.randrange(third):06d}"
        out.write(f"virtual_server,vm-{n:06d},,vm-{n:06d},corp,{rng.choice((2, 4, 8))},{host}\n")
    for n in range(cis - 2 * third):
        out.write(f"application,app-{n:06d},,,,,vm-{rng.randrange(third):06d}\n")
    return out.getvalue().encode()


def run(*, cis: int, seed: int) -> dict[str, Any]:
    from django.db import transaction

    from steward.cmdb import imports, library
    from steward.cmdb.models import ConfigurationItem, ImpactEdge, Relationship

    with transaction.atomic():
        ImpactEdge.objects.all().delete()
        Relationship.objects.all().delete()
        ConfigurationItem.objects.filter(
            tickets__isnull=True, service_tickets__isnull=True
        ).delete()
        library.install()
    data = make_csv(cis=cis, seed=seed)
    figures: dict[str, Any] = {"benchmark": "cmdb_import", "cis": cis, "bytes": len(data)}
    for label in ("first", "again"):
        began = time.perf_counter()
        report = imports.import_file(actor=None, data=data, fmt="csv")
        seconds = time.perf_counter() - began
        figures[label] = {
            "seconds": round(seconds, 1),
            "rows_per_s": round(cis / seconds, 1),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "relationships_created": report.relationships_created,
            "errors": len(report.errors),
        }
        print(f"{label}: {seconds:.1f} s", file=sys.stderr)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import a CMDB from CSV, then again.")
    parser.add_argument("--cis", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    import django

    django.setup()
    from bench.cmdb_impact import refuse_unless_bench_database

    refuse_unless_bench_database()
    from django.db import connection

    figures = run(cis=args.cis, seed=args.seed)
    figures["database"] = connection.vendor
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
