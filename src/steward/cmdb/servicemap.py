"""The service map: a service and the CIs it relies on, laid out in layers for an SVG.

Layer *n* holds the CIs *n* steps upstream of the service (from the same recursive walk as
impact analysis). Within a layer, CIs are ordered by the mean position of the CIs they
support in the layer before (a barycentre sweep), which keeps most edges short and
uncrossed. Nodes carry the CI's status and its open incidents (tickets of the incident kind
on the CI, counted in the same query as the CIs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from steward.cmdb.choices import ImpactWay
from steward.cmdb.impact import walk
from steward.cmdb.models import ConfigurationItem, ImpactEdge
from steward.core.workflow import Category

#: How many CIs a map shows by default, and at most (the nearest first).
DEFAULT_NODES = 200
MAX_NODES = 500
COLUMN = 240
ROW = 36
NODE_WIDTH = 200
NODE_HEIGHT = 26
MARGIN = 20
INCIDENT_KIND = "incidents.incident"


@dataclass
class Node:
    item: ConfigurationItem
    layer: int
    x: int = 0
    y: int = 0
    incidents: int = 0

    @property
    def label(self) -> str:
        name = self.item.name
        return name if len(name) <= 26 else name[:25] + "…"


@dataclass
class Edge:
    upstream: int
    downstream: int
    label: str
    path: str = ""


@dataclass
class ServiceMap:
    root: ConfigurationItem
    depth: int
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    total: int = 0
    width: int = 0
    height: int = 0

    @property
    def truncated(self) -> bool:
        return self.total + 1 > len(self.nodes)


def build(
    *, user: Any, item: ConfigurationItem, depth: int = 4, limit: int = DEFAULT_NODES
) -> ServiceMap:
    """The map of ``item`` and what it relies on to ``depth``, CIs ``user`` may see only."""
    limit = max(2, min(MAX_NODES, limit))
    walked = walk(start=item.pk, way=ImpactWay.UPSTREAM, depth=depth, shown=limit - 1)
    layers = {item.pk: 0}
    for pk, d, _kind in walked.rows[: limit - 1]:
        layers[pk] = d
    items = (
        ConfigurationItem.objects.all()
        if user is None
        else ConfigurationItem.objects.visible_to(user)
    )
    open_incidents = Count(
        "tickets",
        filter=Q(tickets__kind=INCIDENT_KIND, tickets__state_category__in=Category.OPEN),
    )
    found = (
        items.filter(pk__in=list(layers))
        .select_related("ci_type")
        .only("name", "status", "ci_type__name", "ci_type__kind")
        .annotate(open_incidents=open_incidents)
    )
    nodes = {ci.pk: Node(ci, layers[ci.pk], incidents=ci.open_incidents) for ci in found}  # type: ignore[attr-defined]
    result = ServiceMap(root=item, depth=depth, total=walked.total)
    if item.pk not in nodes:
        return result
    edge_rows = (
        ImpactEdge.objects.filter(upstream_id__in=list(nodes), downstream_id__in=list(nodes))
        .values_list("upstream_id", "downstream_id", "relationship__type__name")
        .distinct()
    )
    edges = [Edge(up, down, name) for up, down, name in edge_rows if up != down]
    _layout(nodes, edges)
    result.nodes = sorted(nodes.values(), key=lambda n: (n.layer, n.y))
    result.edges = edges
    result.width = MARGIN * 2 + max(n.x for n in result.nodes) + NODE_WIDTH
    result.height = MARGIN * 2 + max(n.y for n in result.nodes) + NODE_HEIGHT
    return result


def _layout(nodes: dict[int, Node], edges: list[Edge]) -> None:
    """Columns by layer; within a column, barycentre order over the column before."""
    supports: dict[int, list[int]] = {}
    for edge in edges:
        supports.setdefault(edge.upstream, []).append(edge.downstream)
    columns: dict[int, list[Node]] = {}
    for node in nodes.values():
        columns.setdefault(node.layer, []).append(node)
    position: dict[int, float] = {}
    for layer in sorted(columns):
        column = columns[layer]

        def weight(node: Node) -> tuple[float, str]:
            around = [position[pk] for pk in supports.get(node.item.pk, []) if pk in position]
            mean = sum(around) / len(around) if around else float("inf")
            return (mean, node.item.name)

        column.sort(key=weight)
        for index, node in enumerate(column):
            position[node.item.pk] = index
            node.x = MARGIN + layer * COLUMN
            node.y = MARGIN + index * ROW
    for edge in edges:
        up, down = nodes[edge.upstream], nodes[edge.downstream]
        # from the supporting CI's left side to the supported CI's right side
        x1, y1 = up.x, up.y + NODE_HEIGHT // 2
        x2, y2 = down.x + NODE_WIDTH, down.y + NODE_HEIGHT // 2
        bend = (x1 - x2) / 2 if x1 != x2 else 60
        edge.path = f"M{x1},{y1} C{x1 - bend},{y1} {x2 + bend},{y2} {x2},{y2}"
