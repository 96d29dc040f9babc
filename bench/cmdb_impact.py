"""Impact analysis on a large CMDB: 100k CIs, 500k relationships, depth 5.

Run against the database the environment configures (``DATABASE_URL``; migrate it first;
the CMDB's tables in it are emptied and refilled)::

    python -m bench.cmdb_impact --cis 100000 --relationships 500000 [--depth 5]
        [--samples 300] [--seed 1]

The generated CMDB has the shape of a data centre's: the default class library; 1% business
services, 2% technical services, 25% applications, 8% databases, 35% virtual servers, 20%
physical servers, 6% network devices, 3% storage. Relationships, in this order until
``--relationships`` are made: each virtual server runs on a physical server, each
application and database runs on a virtual server, each application provides one or two
services, applications depend on databases and on other applications (these ``depends on``
edges include loops, as real data does), servers connect to network devices and storage.
``--shape clustered`` (the default) splits the CIs into domains of 500 (a business line's
applications and what they run on) and picks 95% of each relationship's targets inside the
source's domain; ``--shape random`` picks every target anywhere, a graph where five steps
reach a tenth of the whole CMDB.
Rows go in with ``bulk_create`` and bypass the services (no audit entries), and the impact
edges are derived with ``cmdb.services.rebuild_edges``, as a change of a type's direction
does; the database then gathers statistics.

Measured: ``cmdb.impact.analyse`` (the one query walking the graph, then the visible CIs and
business services reached) from ``--samples`` random CIs, downstream and upstream, as the
system (no permission filter). Prints one JSON object: p50/p95/p99/max in milliseconds and
how many CIs the walks reached.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

#: CIs per domain in the "clustered" shape.
DOMAIN_SIZE = 500
CLASS_SHARES = [
    ("business_service", 0.01),
    ("technical_service", 0.02),
    ("application", 0.25),
    ("database", 0.08),
    ("virtual_server", 0.35),
    ("server", 0.20),
    ("network_device", 0.06),
    ("storage", 0.03),
]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0 < fraction <= 1)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def generate(
    *, cis: int, relationships: int, seed: int, shape: str = "clustered", batch: int = 5000
) -> dict[str, int]:
    """Fill the CMDB tables (emptied first); returns the counts made."""
    from django.db import connection, transaction

    from steward.cmdb import library, services
    from steward.cmdb.models import (
        CIType,
        ConfigurationItem,
        ImpactEdge,
        Relationship,
        RelationshipType,
    )

    rng = random.Random(seed)
    with transaction.atomic():
        ImpactEdge.objects.all().delete()
        Relationship.objects.all().delete()
        RelationshipType.objects.all().delete()  # the library's, with its directions, again
        ConfigurationItem.customers.through.objects.all().delete()
        ConfigurationItem.objects.filter(
            tickets__isnull=True, service_tickets__isnull=True
        ).delete()
        library.install()
    types = {t.code: t for t in CIType.objects.all()}
    kinds = {t.code: t for t in RelationshipType.objects.all()}
    ids: dict[str, list[int]] = {}
    with transaction.atomic():
        for code, share in CLASS_SHARES:
            count = max(1, int(cis * share))
            rows = [
                ConfigurationItem(
                    name=f"{code.replace('_', '-')}-{n:06d}",
                    ci_type=types[code],
                    attributes={},
                )
                for n in range(count)
            ]
            made = ConfigurationItem.objects.bulk_create(rows, batch_size=batch)
            ids[code] = [ci.pk for ci in made]
    if connection.vendor == "sqlite" or not all(ids[c] and ids[c][0] for c in ids):
        for code, _share in CLASS_SHARES:  # SQLite bulk_create may not return ids
            ids[code] = list(
                ConfigurationItem.objects.filter(ci_type=types[code]).values_list("pk", flat=True)
            )
    pairs: set[tuple[int, int, int]] = set()

    def add(source: int, code: str, target: int) -> bool:
        if source == target or len(pairs) >= relationships:
            return False
        pairs.add((source, kinds[code].pk, target))
        return True

    # Domains: a CI belongs to domain ``position % domains`` of its class's list, so every
    # domain holds a slice of each class. "clustered" picks 95% of the targets in the
    # source's own domain (teams' estates, racks, a business line's applications);
    # "random" picks every target anywhere.
    domains = max(1, cis // DOMAIN_SIZE) if shape == "clustered" else 1

    def near(pool: list[int], position: int) -> int:
        if domains == 1 or rng.random() < 0.05:
            return rng.choice(pool)
        domain = position % domains
        size = len(pool) // domains
        if size == 0:
            return rng.choice(pool)
        return pool[domain + domains * rng.randrange(size)]

    apps, dbs = ids["application"], ids["database"]
    vms, hosts = ids["virtual_server"], ids["server"]
    for i, vm in enumerate(vms):
        add(vm, "runs_on", near(hosts, i))
    for i, item in enumerate(apps + dbs):
        add(item, "runs_on", near(vms, i))
    service_pool = ids["business_service"] + ids["technical_service"]
    for i, app in enumerate(apps):
        for _ in range(rng.choice((1, 1, 2))):
            add(app, "provides", near(service_pool, i))
    infrastructure = ids["network_device"] + ids["storage"]
    while len(pairs) < relationships:
        roll = rng.random()
        if roll < 0.45:
            i = rng.randrange(len(apps))
            add(apps[i], "depends_on", near(dbs, i))
        elif roll < 0.75:
            i = rng.randrange(len(apps))
            add(apps[i], "depends_on", near(apps, i))
        else:
            i = rng.randrange(len(hosts))
            add(hosts[i], "connects_to", near(infrastructure, i))
    with transaction.atomic():
        Relationship.objects.bulk_create(
            (Relationship(source_id=s, type_id=t, target_id=g) for s, t, g in pairs),
            batch_size=batch,
        )
        for kind in kinds.values():
            services.rebuild_edges(kind)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "cis": sum(len(v) for v in ids.values()),
        "relationships": Relationship.objects.count(),
        "impact_edges": ImpactEdge.objects.count(),
    }


def measure(*, samples: int, depth: int, seed: int) -> dict[str, Any]:
    """Impact analysis from random CIs, downstream and upstream."""
    from steward.cmdb import impact
    from steward.cmdb.models import ConfigurationItem

    rng = random.Random(seed + 1)
    all_ids = list(ConfigurationItem.objects.values_list("pk", flat=True))
    starts = [rng.choice(all_ids) for _ in range(samples)]
    figures: dict[str, Any] = {"depth": depth, "samples": samples}
    for way in ("downstream", "upstream"):
        times: list[float] = []
        reached: list[int] = []
        for pk in starts:
            item = ConfigurationItem.objects.get(pk=pk)
            began = time.perf_counter()
            result = impact.analyse(user=None, item=item, way=way, depth=depth)
            times.append((time.perf_counter() - began) * 1000)
            reached.append(result.total)
        figures[way] = {
            "p50_ms": round(percentile(times, 0.50), 2),
            "p95_ms": round(percentile(times, 0.95), 2),
            "p99_ms": round(percentile(times, 0.99), 2),
            "max_ms": round(max(times), 2),
            "mean_reached": round(statistics.mean(reached), 1),
            "max_reached": max(reached),
        }
    return figures


def measure_map(*, nodes: int = 200, samples: int = 20) -> dict[str, Any]:
    """Server time of the service-map page (``GET /cmdb/<id>/map/``, in process, signed in as
    a configuration manager) for the business services whose map holds about ``nodes`` CIs:
    for each service, the smallest depth reaching ``nodes`` (capped at the map's maximum)."""
    from django.test import Client
    from django.urls import reverse

    from steward.accounts import services as accounts
    from steward.accounts.models import Person
    from steward.cmdb.impact import walk
    from steward.cmdb.models import ConfigurationItem

    email = "cmdb-bench@example.test"
    person = Person.objects.filter(email=email).first() or accounts.create_person(
        actor=None, email=email, full_name="CMDB bench", roles=["configuration_manager"]
    )
    client = Client()
    client.force_login(person)
    chosen: list[tuple[int, int]] = []
    for pk in ConfigurationItem.objects.filter(ci_type__code="business_service").values_list(
        "pk", flat=True
    )[:500]:
        for depth in range(1, 6):
            if walk(start=pk, way="upstream", depth=depth, shown=1).total + 1 >= nodes:
                chosen.append((pk, depth))
                break
        if len(chosen) >= samples:
            break
    times: list[float] = []
    shown: list[int] = []
    for pk, depth in chosen:
        url = reverse("cmdb:service_map", args=[pk])
        began = time.perf_counter()
        response = client.get(url, {"depth": depth, "limit": nodes})
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
        shown.append(response.content.decode().count('<g class="map-node'))
    if not times:
        return {"map_samples": 0}
    return {
        "map_samples": len(times),
        "map_nodes_mean": round(statistics.mean(shown), 1),
        "map_p50_ms": round(percentile(times, 0.5), 1),
        "map_p95_ms": round(percentile(times, 0.95), 1),
    }


def refuse_unless_bench_database() -> None:
    """These benchmarks empty the CMDB's tables: only in a database named for benchmarks."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if "bench" not in name.rsplit("/", 1)[-1]:
        sys.exit(
            f"refusing to empty the CMDB of {name!r}: point DATABASE_URL at a database of "
            "its own whose name says bench (e.g. postgres://.../steward_bench)"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cis", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=500_000)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--shape",
        choices=["clustered", "random"],
        default="clustered",
        help="targets mostly within a domain of 500 CIs, or anywhere",
    )
    parser.add_argument("--skip-generate", action="store_true", help="reuse the data there")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    import django

    django.setup()
    from django.db import connection

    refuse_unless_bench_database()
    result: dict[str, Any] = {"benchmark": "cmdb_impact", "database": connection.vendor}
    if not args.skip_generate:
        began = time.perf_counter()
        result["generated"] = generate(
            cis=args.cis, relationships=args.relationships, seed=args.seed, shape=args.shape
        )
        result["shape"] = args.shape
        result["generate_s"] = round(time.perf_counter() - began, 1)
        print(f"generated in {result['generate_s']} s", file=sys.stderr)
    result.update(measure(samples=args.samples, depth=args.depth, seed=args.seed))
    result.update(measure_map())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
