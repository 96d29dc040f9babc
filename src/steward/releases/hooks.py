"""Workflow guards and effects of releases, deployments and DML artefacts (registered by
name in ``apps.py``).

The production guard is one function, ``production_refusal``: a release goes to production
only when every change it groups is approved (its state is one of ``APPROVED_CHANGE_STATES``)
and, when the policy ``RELEASE_PRODUCTION_NEEDS_PRE_PRODUCTION`` is on, after a succeeded
deployment to test or staging.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from steward.core import conf
from steward.releases.choices import PRE_PRODUCTION, ArtefactState, Environment, ReleaseState
from steward.releases.models import Deployment, DmlArtefact, Release


def _stamp(model: Any, obj: Any, **values: Any) -> None:
    for name, value in values.items():
        setattr(obj, name, value)
    model.objects.filter(pk=obj.pk).update(**values)


def production_refusal(release: Release) -> str | None:
    """Why ``release`` may not go to production now, or ``None`` when it may."""
    from steward.releases.services.changes import unapproved_changes

    waiting = unapproved_changes(release)
    if waiting:
        listed = ", ".join(f"{number} ({state})" for number, state in waiting[:10])
        return f"Its changes must be approved first; not yet: {listed}."
    if conf.get("RELEASE_PRODUCTION_NEEDS_PRE_PRODUCTION"):
        tried = release.deployments.succeeded_in(PRE_PRODUCTION).exists()
        if not tried:
            return "It must first be deployed successfully to test or staging (policy)."
    return None


def production_ready(release: Release, actor: Any) -> str | None:
    """Deploying starts once the release may go to production."""
    return production_refusal(release)


def deployed_to_production(release: Release, actor: Any) -> str | None:
    """A release is deployed once a production deployment of it has succeeded."""
    if not release.deployments.succeeded_in((Environment.PRODUCTION,)).exists():
        return "No deployment of it to production has succeeded yet."
    return None


def unapproved_artefacts(artefacts: list[DmlArtefact]) -> list[DmlArtefact]:
    """Of ``artefacts``, those the deployment policy refuses: with
    ``DEPLOYMENT_APPROVED_ARTEFACTS_ONLY`` (the default) all but approved ones, otherwise
    retired ones."""
    if conf.get("DEPLOYMENT_APPROVED_ARTEFACTS_ONLY"):
        return [a for a in artefacts if a.state != ArtefactState.APPROVED]
    return [a for a in artefacts if a.state == ArtefactState.RETIRED]


def artefact_refusal(artefacts: list[DmlArtefact]) -> str | None:
    refused = unapproved_artefacts(artefacts)
    if not refused:
        return None
    listed = ", ".join(f"{a} ({a.get_state_display().lower()})" for a in refused[:10])
    if conf.get("DEPLOYMENT_APPROVED_ARTEFACTS_ONLY"):
        return f"Only approved DML artefacts may be deployed (policy); not approved: {listed}."
    return f"Retired DML artefacts may not be deployed: {listed}."


def deployment_may_start(deployment: Deployment, actor: Any) -> str | None:
    """A deployment starts while its release is open and its artefacts may be deployed; a
    production one only while the release is deploying and may go to production."""
    release = deployment.release
    if not release.is_open:
        return f"{release.number} is {release.state}: it is no longer deployed."
    refusal = artefact_refusal(list(deployment.artefacts.all()))
    if refusal:
        return refusal
    if deployment.environment != Environment.PRODUCTION:
        return None
    if release.state != ReleaseState.DEPLOYING:
        return f"{release.number} must be in Deploying before it goes to production."
    return production_refusal(release)


def stamp_actual_start(release: Release, **kwargs: Any) -> None:
    if release.actual_start is None:
        _stamp(Release, release, actual_start=timezone.now())


def stamp_actual_end(release: Release, **kwargs: Any) -> None:
    _stamp(Release, release, actual_end=timezone.now())


def stamp_deployment_start(deployment: Deployment, *, actor: Any = None, **kwargs: Any) -> None:
    _stamp(Deployment, deployment, started_at=timezone.now(), deployed_by=actor)


def stamp_deployment_end(deployment: Deployment, **kwargs: Any) -> None:
    _stamp(Deployment, deployment, finished_at=timezone.now())


def stamp_approval(artefact: DmlArtefact, *, actor: Any = None, **kwargs: Any) -> None:
    _stamp(DmlArtefact, artefact, approved_by=actor, approved_at=timezone.now())


def stamp_retirement(artefact: DmlArtefact, **kwargs: Any) -> None:
    _stamp(DmlArtefact, artefact, retired_at=timezone.now())
