"""Lifecycle variants: the paths tickets of a kind took through their states.

``variant_report(actor=..., since=..., until=..., kind="incident")`` reads the tickets opened
in ``[since, until)`` (those the actor may see) with their audit entries, a chunk at a time
(``lifecycle.cases``), and for each:

* its **path**: the state it was created in, then the target of each ``transitioned`` entry;
* its **duration**: ``closed_at`` (or ``resolved_at`` when not closed) minus ``opened_at``;
  cases still open have none and are left out of the means and medians;
* whether it **deviates**: it took a transition (``from -> to``) that the active process
  profile's workflow (``core.workflow``) does not declare, as imported history or a profile
  switch can leave behind.

Variants are counted per path (count, share of all cases, mean and median duration); the
deviating transitions are counted with a few example tickets. Memory holds one chunk of
tickets and one duration per case, never the whole log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from steward.core import workflow
from steward.governance.services import lifecycle
from steward.governance.services.kpis import require_kpis

LIMIT = 20
EXAMPLES = 3


@dataclass
class Variant:
    """One path and the cases that took it."""

    states: tuple[str, ...]
    count: int = 0
    durations: list[float] = field(default_factory=list, repr=False)
    deviates: bool = False
    examples: list[str] = field(default_factory=list)
    share: float = 0.0

    @property
    def mean_seconds(self) -> float | None:
        return sum(self.durations) / len(self.durations) if self.durations else None

    @property
    def median_seconds(self) -> float | None:
        return median(self.durations) if self.durations else None

    def as_dict(self, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "path": list(self.states),
            "labels": [labels.get(code, code) for code in self.states],
            "count": self.count,
            "share": self.share,
            "mean_seconds": self.mean_seconds,
            "median_seconds": self.median_seconds,
            "deviates": self.deviates,
            "examples": list(self.examples),
        }


@dataclass
class Deviation:
    """A transition the active workflow does not declare, how often, and where."""

    source: str
    target: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def as_dict(self, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "from_state": self.source,
            "to_state": self.target,
            "from_label": labels.get(self.source, self.source),
            "to_label": labels.get(self.target, self.target),
            "count": self.count,
            "examples": list(self.examples),
        }


@dataclass
class VariantReport:
    since: datetime
    until: datetime
    kind: str
    profile: str
    cases: int
    variant_count: int
    variants: list[Variant]
    deviating_cases: int
    deviations: list[Deviation]
    labels: dict[str, str]

    @property
    def deviation_share(self) -> float | None:
        return self.deviating_cases / self.cases if self.cases else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "kind": self.kind,
            "profile": self.profile,
            "cases": self.cases,
            "variant_count": self.variant_count,
            "deviating_cases": self.deviating_cases,
            "deviation_share": self.deviation_share,
            "variants": [v.as_dict(self.labels) for v in self.variants],
            "deviations": [d.as_dict(self.labels) for d in self.deviations],
        }


def variant_report(
    *,
    actor: Any,
    since: datetime,
    until: datetime,
    kind: str = "incident",
    limit: int = LIMIT,
) -> VariantReport:
    """The ``limit`` most frequent paths of ``kind`` (see the module docstring)."""
    require_kpis(actor)
    the_kind = lifecycle.kind_named(kind)
    profile = workflow.active_profile()
    declared = workflow.workflow_for(the_kind.model, profile)
    allowed: dict[tuple[str, str], bool] = {}
    variants: dict[tuple[str, ...], Variant] = {}
    deviations: dict[tuple[str, str], Deviation] = {}
    total = deviating = 0
    tickets = lifecycle.opened_between(the_kind, actor=actor, since=since, until=until)
    for case in lifecycle.cases(the_kind, tickets):
        total += 1
        path = tuple(case.states)
        variant = variants.get(path)
        if variant is None:
            variant = variants[path] = Variant(states=path)
        variant.count += 1
        if case.ended_at is not None:
            variant.durations.append((case.ended_at - case.opened_at).total_seconds())
        strays = []
        for move in case.moves:
            if move not in allowed:
                allowed[move] = declared.find(*move) is not None
            if not allowed[move]:
                strays.append(move)
        if strays:
            deviating += 1
            variant.deviates = True
            if len(variant.examples) < EXAMPLES:
                variant.examples.append(case.number)
            for move in dict.fromkeys(strays):
                deviation = deviations.setdefault(move, Deviation(*move))
                deviation.count += 1
                if len(deviation.examples) < EXAMPLES:
                    deviation.examples.append(case.number)
        elif len(variant.examples) < EXAMPLES:
            variant.examples.append(case.number)
    ranked = sorted(variants.values(), key=lambda v: (-v.count, v.states))
    for variant in ranked:
        variant.share = variant.count / total if total else 0.0
    return VariantReport(
        since=since,
        until=until,
        kind=the_kind.name,
        profile=profile,
        cases=total,
        variant_count=len(variants),
        variants=ranked[:limit],
        deviating_cases=deviating,
        deviations=sorted(deviations.values(), key=lambda d: (-d.count, d.source, d.target)),
        labels=workflow.state_labels(),
    )
