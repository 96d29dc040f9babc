"""The services a CAB agenda's changes affect: one recursive query for the whole agenda.

Run against a migrated database named for benchmarks (``DATABASE_URL``; its CMDB and change
tables are emptied and refilled)::

    python -m bench.changes_agenda [--cis 20000] [--relationships 100000] [--changes 200]
        [--samples 30] [--seed 1] [--skip-generate]

Generates a CMDB with ``bench.cmdb_impact.generate`` (clustered shape), then ``--changes``
normal changes through ``changes.services.open_change``, each naming three random
non-service CIs as affected. Measured, for agendas of 10, 50 and ``--changes`` changes
drawn at random, ``--samples`` times each: ``changes.impact.service_ids_by_change`` (one
``WITH RECURSIVE`` over ``cmdb.ImpactEdge`` seeded with every CI of every change, depth 5)
against the per-CI alternative (``cmdb.impact.walk`` from each affected CI, one query per
CI). Prints one JSON object: p50/p95 in milliseconds per agenda size and way.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from typing import Any


def make_changes(*, count: int, seed: int) -> list[int]:
    from steward.changes import services
    from steward.changes.models import Change
    from steward.cmdb.choices import CITypeKind
    from steward.cmdb.models import ConfigurationItem

    Change.objects.all().delete()
    rng = random.Random(seed)
    pool = list(
        ConfigurationItem.objects.exclude(ci_type__kind=CITypeKind.BUSINESS_SERVICE).values_list(
            "pk", flat=True
        )
    )
    items = ConfigurationItem.objects.in_bulk(rng.sample(pool, min(len(pool), count * 3)))
    chosen = list(items.values())
    from steward.accounts.choices import RoleCode
    from steward.accounts.models import Person
    from steward.accounts.services import create_person

    requester = Person.objects.filter(email="bench.change@example.test").first() or create_person(
        actor=None,
        email="bench.change@example.test",
        full_name="Bench Change",
        roles=[RoleCode.CHANGE_MANAGER],
    )
    made = []
    for n in range(count):
        change = services.open_change(
            actor=None,
            requester=requester,
            title=f"Bench change {n}",
            affected_cis=chosen[3 * n : 3 * n + 3],
        )
        made.append(change.pk)
    return made


def percentiles(values: list[float]) -> dict[str, float]:
    from bench.cmdb_impact import percentile

    return {
        "p50_ms": round(percentile(values, 0.5), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
    }


def measure(change_ids: list[int], *, samples: int, seed: int) -> dict[str, Any]:
    from steward.changes import impact
    from steward.changes.models import Change
    from steward.cmdb import impact as cmdb_impact

    rng = random.Random(seed)
    through = Change.affected_cis.through
    result: dict[str, Any] = {}
    for size in sorted({10, 50, len(change_ids)}):
        one_query, per_ci = [], []
        for _ in range(samples):
            agenda = rng.sample(change_ids, min(size, len(change_ids)))
            began = time.perf_counter()
            impact.service_ids_by_change(agenda)
            one_query.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            for ci_id in through.objects.filter(change_id__in=agenda).values_list(
                "configurationitem_id", flat=True
            ):
                cmdb_impact.walk(start=ci_id, depth=impact.DEPTH)
            per_ci.append((time.perf_counter() - began) * 1000)
        result[f"agenda_{size}"] = {
            "one_query": percentiles(one_query),
            "walk_per_ci": percentiles(per_ci),
        }
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cis", type=int, default=20_000)
    parser.add_argument("--relationships", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-generate", action="store_true", help="reuse the data there")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    import django

    django.setup()
    from django.db import connection

    from bench.cmdb_impact import generate, refuse_unless_bench_database
    from steward.changes.models import Change

    refuse_unless_bench_database()
    result: dict[str, Any] = {"benchmark": "changes_agenda", "database": connection.vendor}
    if not args.skip_generate:
        Change.objects.all().delete()
        began = time.perf_counter()
        result["generated"] = generate(
            cis=args.cis, relationships=args.relationships, seed=args.seed
        )
        change_ids = make_changes(count=args.changes, seed=args.seed)
        result["generate_s"] = round(time.perf_counter() - began, 1)
    else:
        change_ids = list(Change.objects.values_list("pk", flat=True))
    result["changes"] = len(change_ids)
    result.update(measure(change_ids, samples=args.samples, seed=args.seed))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
