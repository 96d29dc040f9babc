"""Deployments: planning one (a release, an environment, the DML artefacts it installs) and
moving it (start, succeeded, failed, rolled back) through ``core.workflow``. Release managers
only; every write audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.core import audit, policy, workflow
from steward.core.errors import RuleViolation
from steward.releases import hooks
from steward.releases.choices import Environment
from steward.releases.models import Deployment, DmlArtefact, Release

AUDITED = ("release", "environment", "state", "planned_at", "notes", "artefacts")


@transaction.atomic
def plan_deployment(
    *,
    actor: Person | None,
    release: Release,
    environment: str,
    artefacts: Sequence[DmlArtefact] | None = None,
    planned_at: datetime | None = None,
    notes: str = "",
) -> Deployment:
    """Plan a deployment of ``release`` to ``environment``, installing ``artefacts`` (the
    release's own when not given). Refused while the release is not open, and for artefacts
    the deployment policy refuses (only approved ones, by default), with the reason."""
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if actor is not None:
        policy.require_add(actor, Deployment)
        policy.require(actor, "change", locked)
    if environment not in Environment.values:
        raise RuleViolation({"environment": f"Choose one of {', '.join(Environment.values)}."})
    if not locked.is_open:
        raise RuleViolation({"release": f"{locked.number} is no longer open."})
    chosen = list(locked.artefacts.all()) if artefacts is None else list(artefacts)
    for artefact in chosen:
        if actor is not None:
            policy.require(actor, "view", artefact)
    refusal = hooks.artefact_refusal(chosen)
    if refusal:
        raise RuleViolation({"artefacts": refusal})
    now = timezone.now()
    deployment = Deployment(
        release=locked,
        environment=environment,
        planned_at=planned_at,
        notes=notes or "",
        created_at=now,
        updated_at=now,
    )
    workflow.apply_state(deployment, workflow.initial_state(Deployment), now=now)
    deployment.full_clean()
    deployment.save()
    deployment.artefacts.set(chosen)
    audit.record(
        actor=actor,
        action="deployment.created",
        obj=deployment,
        changes=audit.diff({}, audit.snapshot(deployment, AUDITED)),
        object_repr=f"{locked.number} to {environment}",
    )
    return deployment


def transition_deployment(
    *,
    actor: Person | None,
    deployment: Deployment,
    to: str,
    notes: str | None = None,
    expected_version: int | None = None,
) -> Deployment:
    """Move a deployment (start, succeeded, failed, rolled back); ``notes`` say what
    happened (required when it failed or is rolled back). Starting one in production runs
    the production guard (``hooks.deployment_may_start``)."""
    values: dict[str, Any] = {} if notes is None else {"notes": notes}
    moved: Deployment = workflow.transition(
        deployment, to=to, actor=actor, values=values, expected_version=expected_version
    )
    return moved
