"""Factories for releases, deployments and the media library: plain functions with defaults."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_person
from steward.changes.models import Change
from steward.changes.tests.factories import window
from steward.releases import services
from steward.releases.choices import DeploymentState, Environment
from steward.releases.models import Deployment, DmlArtefact, Release

_seq = itertools.count(1)


def make_release_manager(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.RELEASE_MANAGER], **overrides)


def content_of(n: int) -> bytes:
    return f"build {n}\n".encode() * 100


def make_artefact(
    *, approved: bool = False, content: bytes | None = None, **overrides: Any
) -> DmlArtefact:
    """A draft artefact (approved with ``approved=True``) whose checksum is that of
    ``content`` (a made-up build by default)."""
    n = next(_seq)
    data = content if content is not None else content_of(n)
    values: dict[str, Any] = {
        "name": f"app-{n}",
        "artefact_version": "1.0.0",
        "checksum": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "location": f"s3://dml/app-{n}/1.0.0.tar.gz",
        "licence": "MIT",
    }
    values.update(overrides)
    actor = values.pop("actor", None)
    artefact = services.register_artefact(actor=actor, **values)
    if approved:
        artefact = services.approve_artefact(actor=actor, artefact=artefact)
    return artefact


def make_release(**overrides: Any) -> Release:
    n = next(_seq)
    values: dict[str, Any] = {"title": f"Portal {n}", "release_version": f"2.{n}.0"}
    values.update(overrides)
    actor = values.pop("actor", None)
    if "requester" not in values and actor is None:
        values["requester"] = make_release_manager()
    values.pop("organisation", None)  # releases belong to no organisation
    return services.open_release(actor=actor, **values)


def make_scheduled_change(**overrides: Any) -> Change:
    """A standard change from an approved template: scheduled at once (pre-approved)."""
    from steward.changes import services as changes
    from steward.changes.tests.factories import make_template

    values = {**window(), **overrides}
    if "requester" not in values:
        values["requester"] = make_release_manager()
    return changes.open_standard_change(actor=None, template=make_template(), **values)


def make_deployment(
    *, release: Release | None = None, environment: str = Environment.TEST, **overrides: Any
) -> Deployment:
    """A planned deployment (of a new release with one approved artefact by default)."""
    if release is None:
        release = make_release(artefacts=[make_artefact(approved=True)])
    return services.plan_deployment(
        actor=None, release=release, environment=environment, **overrides
    )


def make_succeeded(deployment: Deployment) -> Deployment:
    deployment = services.transition_deployment(
        actor=None, deployment=deployment, to=DeploymentState.IN_PROGRESS
    )
    return services.transition_deployment(
        actor=None, deployment=deployment, to=DeploymentState.SUCCEEDED
    )
