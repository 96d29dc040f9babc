"""The services a change affects, through the CMDB's impact edges, in the database.

A change affects its primary service, each affected CI that is itself a business service,
and every business service a failure of its CIs (primary and affected) reaches downstream
(``cmdb.ImpactEdge``, the same edges ``cmdb.impact.walk`` follows). One ``WITH RECURSIVE``
query answers for many changes at once (a CAB agenda, a list): the graph never comes into
Python, only the (change, service) pairs found.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from steward.cmdb.choices import CITypeKind
from steward.cmdb.models import CIType, ConfigurationItem, ImpactEdge
from steward.tickets.models import Ticket

#: How far downstream a change's CIs are followed to the services they support.
DEPTH = 5


def _sql(placeholders: str) -> str:
    from steward.changes.models import Change

    edges = ImpactEdge._meta.db_table
    items, types = ConfigurationItem._meta.db_table, CIType._meta.db_table
    tickets = Ticket._meta.db_table
    through = Change.affected_cis.through._meta.db_table
    return (
        "WITH RECURSIVE seed(change_id, ci_id) AS ("
        f" SELECT change_id, configurationitem_id FROM {through}"
        f" WHERE change_id IN ({placeholders})"
        " UNION"
        f" SELECT id, configuration_item_id FROM {tickets}"
        f" WHERE id IN ({placeholders}) AND configuration_item_id IS NOT NULL"
        " UNION"
        f" SELECT id, service_id FROM {tickets}"
        f" WHERE id IN ({placeholders}) AND service_id IS NOT NULL"
        "), walk(change_id, ci_id, depth) AS ("
        " SELECT change_id, ci_id, 0 FROM seed"
        " UNION"
        " SELECT w.change_id, e.downstream_id, w.depth + 1 FROM walk w"
        f" JOIN {edges} e ON e.upstream_id = w.ci_id"
        " WHERE w.depth < %s"
        ")"
        " SELECT DISTINCT w.change_id, w.ci_id FROM walk w"
        f" JOIN {items} c ON c.id = w.ci_id JOIN {types} t ON t.id = c.ci_type_id"
        " WHERE t.kind = %s"
    )


def service_ids_by_change(change_ids: Iterable[int], *, depth: int = DEPTH) -> dict[int, set[int]]:
    """For each change, the ids of the business services it affects (one query)."""
    ids = [int(pk) for pk in change_ids]
    found: dict[int, set[int]] = {pk: set() for pk in ids}
    if not ids:
        return found
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(_sql(marks), [*ids, *ids, *ids, depth, CITypeKind.BUSINESS_SERVICE.value])
        for change_id, ci_id in cursor.fetchall():
            found[int(change_id)].add(int(ci_id))
    return found


def services_by_change(
    change_ids: Iterable[int], *, depth: int = DEPTH
) -> dict[int, list[ConfigurationItem]]:
    """For each change, the business services it affects, by name (two queries)."""
    ids = service_ids_by_change(change_ids, depth=depth)
    wanted = set().union(*ids.values()) if ids else set()
    services = {
        ci.pk: ci for ci in ConfigurationItem.objects.filter(pk__in=wanted).select_related("owner")
    }
    return {
        change_id: sorted(
            (services[pk] for pk in service_ids if pk in services), key=lambda s: s.name
        )
        for change_id, service_ids in ids.items()
    }


def affected_services(change_id: int, *, depth: int = DEPTH) -> list[ConfigurationItem]:
    """The business services one change affects, by name."""
    return services_by_change([change_id], depth=depth)[change_id]
