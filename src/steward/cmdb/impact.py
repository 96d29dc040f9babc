"""Impact analysis in the database: recursive queries over ``ImpactEdge``.

``ImpactEdge(upstream, downstream)`` says a failure of *upstream* reaches *downstream*.
Walking edges forwards from a CI gives what its failure affects (downstream); walking them
backwards gives what it relies on (upstream). Each walk is one ``WITH RECURSIVE`` query,
written in the SQL that SQLite and PostgreSQL share: ``UNION`` (not ``UNION ALL``) keeps one
row per (CI, depth), so a cycle cannot run away, and the depth bound ends every walk. The
graph never comes into Python; only the CIs reached do, and only as ids and depths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from steward.cmdb.choices import MAX_IMPACT_DEPTH, CITypeKind, ImpactWay
from steward.cmdb.models import CIType, ConfigurationItem, ImpactEdge, Relationship
from steward.core.errors import RuleViolation

#: CIs shown in one analysis (the services reached are always all shown).
SHOWN = 500


def _walk_sql(way: str) -> str:
    """The walk, then each CI reached once at its nearest depth, numbered nearest first; the
    rows returned are the first ``shown`` and every business service, each with the total."""
    edges = ImpactEdge._meta.db_table
    here, there = ("upstream_id", "downstream_id")
    if way == ImpactWay.UPSTREAM:
        here, there = there, here
    items, types = ConfigurationItem._meta.db_table, CIType._meta.db_table
    return (
        "WITH RECURSIVE walk(ci_id, depth) AS ("
        " SELECT CAST(%s AS BIGINT), 0"
        " UNION"
        f" SELECT e.{there}, w.depth + 1 FROM walk w"
        f" JOIN {edges} e ON e.{here} = w.ci_id"
        " WHERE w.depth < %s"
        "), reached(ci_id, depth) AS ("
        " SELECT ci_id, MIN(depth) FROM walk WHERE ci_id <> %s GROUP BY ci_id"
        "), ranked(ci_id, depth, kind, position, total) AS ("
        " SELECT r.ci_id, r.depth, t.kind,"
        " ROW_NUMBER() OVER (ORDER BY r.depth, r.ci_id), COUNT(*) OVER ()"
        f" FROM reached r JOIN {items} c ON c.id = r.ci_id JOIN {types} t ON t.id = c.ci_type_id"
        ")"
        " SELECT ci_id, depth, kind, total FROM ranked"
        " WHERE position <= %s OR kind = %s"
        " ORDER BY depth, ci_id"
    )


@dataclass
class Walk:
    """What one walk returned: the nearest ``shown`` CIs and every business service reached
    (``(id, depth, kind)`` each), and how many CIs it reached in all."""

    rows: list[tuple[int, int, str]]
    total: int


def walk(
    *, start: int, way: str = ImpactWay.DOWNSTREAM, depth: int = 3, shown: int = SHOWN
) -> Walk:
    """Walk the impact edges from ``start`` (one query)."""
    if way not in ImpactWay.values:
        raise RuleViolation({"direction": "Choose downstream or upstream."})
    if not 1 <= depth <= MAX_IMPACT_DEPTH:
        raise RuleViolation({"depth": f"Choose a depth from 1 to {MAX_IMPACT_DEPTH}."})
    with connection.cursor() as cursor:
        cursor.execute(
            _walk_sql(way), [start, depth, start, shown, CITypeKind.BUSINESS_SERVICE.value]
        )
        fetched = cursor.fetchall()
    rows = [(int(pk), int(d), str(kind)) for pk, d, kind, _total in fetched]
    return Walk(rows=rows, total=int(fetched[0][3]) if fetched else 0)


def reaches(*, start: int, goal: int, type_id: int) -> bool:
    """Is ``goal`` reachable from ``start`` along relationships of one type, source to target?"""
    table = Relationship._meta.db_table
    sql = (
        "WITH RECURSIVE reach(ci_id) AS ("
        " SELECT CAST(%s AS BIGINT)"
        " UNION"
        f" SELECT r.target_id FROM reach JOIN {table} r ON r.source_id = reach.ci_id"
        " WHERE r.type_id = %s"
        ") SELECT 1 FROM reach WHERE ci_id = %s LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, type_id, goal])
        return cursor.fetchone() is not None


@dataclass
class ImpactResult:
    """What an analysis found, limited to the CIs the person may see."""

    start: ConfigurationItem
    way: str
    depth: int
    total: int
    items: list[ConfigurationItem] = field(default_factory=list)
    services: list[ConfigurationItem] = field(default_factory=list)
    hidden: int = 0

    @property
    def truncated(self) -> bool:
        return self.total - self.hidden > len(self.items)

    def customers(self) -> list[Any]:
        """The organisations of the affected services, each once, by name."""
        seen: dict[int, Any] = {}
        for service in self.services:
            for organisation in service.affected_customers:  # type: ignore[attr-defined]
                seen.setdefault(organisation.pk, organisation)
        return sorted(seen.values(), key=lambda o: o.name)


def analyse(
    *, user: Any, item: ConfigurationItem, way: str = ImpactWay.DOWNSTREAM, depth: int = 3
) -> ImpactResult:
    """Impact of ``item`` to ``depth``, with the business services hit and their customers.

    ``user`` sees only the CIs the policy lets them; ``None`` is the system (the CLI).
    """
    from django.db.models import Prefetch

    from steward.accounts.models import Organisation

    walked = walk(start=item.pk, way=way, depth=depth)
    rows = walked.rows
    depths = {pk: d for pk, d, _kind in rows}
    service_ids = [pk for pk, _d, kind in rows if kind == CITypeKind.BUSINESS_SERVICE]
    shown_ids = [pk for pk, _d, _kind in rows[:SHOWN]]
    items = ConfigurationItem.objects.all()
    visible = (
        (items if user is None else items.visible_to(user))
        .select_related("ci_type", "organisation", "support_team")
        .only(
            "name",
            "status",
            "ci_type__name",
            "ci_type__code",
            "ci_type__kind",
            "organisation__name",
            "support_team__name",
        )
    )
    found = {ci.pk: ci for ci in visible.filter(pk__in=shown_ids)}
    services = list(
        visible.filter(pk__in=service_ids).prefetch_related(
            Prefetch("customers", queryset=Organisation.objects.only("id", "name"))
        )
    )
    for ci in [*found.values(), *services]:
        ci.depth = depths[ci.pk]  # type: ignore[attr-defined]
    for service in services:
        organisations = list(service.customers.all())
        if service.organisation is not None:
            organisations.append(service.organisation)
        service.affected_customers = organisations  # type: ignore[attr-defined]
    services.sort(key=lambda s: (s.depth, s.name))  # type: ignore[attr-defined]
    hidden_shown = len(shown_ids) - len(found)
    return ImpactResult(
        start=item,
        way=way,
        depth=depth,
        total=walked.total,
        items=[found[pk] for pk in shown_ids if pk in found],
        services=services,
        hidden=hidden_shown,
    )
