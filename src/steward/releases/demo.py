"""Demo releases and media library: four artefacts (three approved, one draft), a release
tried in test and planned for staging, and a small release in planning."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.utils import timezone

from steward.accounts.demo import DEMO_DOMAIN
from steward.accounts.models import Person, Team
from steward.changes.models import Change
from steward.cmdb.models import ConfigurationItem
from steward.releases import services
from steward.releases.choices import DeploymentState, Environment, ReleaseState, ReleaseType
from steward.releases.models import DmlArtefact, Release
from steward.releases.services.changes import APPROVED_CHANGE_STATES

ARTEFACTS = (
    ("records-web", "4.2.0", "GPL-3.0-or-later", True),
    ("records-db-migrations", "4.2.0", "GPL-3.0-or-later", True),
    ("records-web", "4.1.3", "GPL-3.0-or-later", True),
    ("ward-label-agent", "1.0.0", "Proprietary (vendor)", False),
)


def _fake_checksum(name: str, version: str) -> str:
    # The demo has no files: a stable stand-in for the checksum of name@version.
    return hashlib.sha256(f"demo:{name}@{version}".encode()).hexdigest()


def load() -> str:
    if Release.objects.exists() or DmlArtefact.objects.exists():
        return "Demo releases already present."
    people = {p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith=DEMO_DOMAIN)}
    manager = people.get("kenji.sato")  # the demo release manager
    if manager is None:
        return "Demo releases skipped (no release manager)."
    artefacts = {}
    for name, version, licence, approve in ARTEFACTS:
        artefact = services.register_artefact(
            actor=manager,
            name=name,
            artefact_version=version,
            checksum=_fake_checksum(name, version),
            size_bytes=10_000_000 + 1000 * len(name),
            location=f"s3://dml/{name}/{version}/{name}-{version}.tar.gz",
            licence=licence,
        )
        if approve:
            artefact = services.approve_artefact(actor=manager, artefact=artefact)
        artefacts[(name, version)] = artefact
    team = Team.objects.filter(name="Platform Engineering").first()
    service = ConfigurationItem.objects.filter(name="Clinical records").first()
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    major = services.open_release(
        actor=manager,
        title="Clinical records 4.2",
        description="New ward overview and the records database schema for it.",
        release_version="4.2.0",
        release_type=ReleaseType.MAJOR,
        planned_start=now + timedelta(days=5),
        planned_end=now + timedelta(days=5, hours=4),
        service=service,
        team=team,
        artefacts=[
            artefacts[("records-web", "4.2.0")],
            artefacts[("records-db-migrations", "4.2.0")],
        ],
    )
    approved = list(Change.objects.filter(state__in=APPROVED_CHANGE_STATES).order_by("pk")[:2])
    if approved:
        services.set_release_changes(actor=manager, release=major, changes=approved)
    for state in (ReleaseState.BUILD, ReleaseState.TEST):
        major = services.transition_release(actor=manager, release=major, to=state)
    tried = services.plan_deployment(actor=manager, release=major, environment=Environment.TEST)
    tried = services.transition_deployment(
        actor=manager, deployment=tried, to=DeploymentState.IN_PROGRESS
    )
    services.transition_deployment(
        actor=manager,
        deployment=tried,
        to=DeploymentState.SUCCEEDED,
        notes="Smoke tests passed on the test ward.",
    )
    services.plan_deployment(
        actor=manager,
        release=major,
        environment=Environment.STAGING,
        planned_at=now + timedelta(days=2),
    )
    services.open_release(
        actor=manager,
        title="Clinical records 4.2.1 (label printing fix)",
        release_version="4.2.1",
        release_type=ReleaseType.MINOR,
        planned_start=now + timedelta(days=14),
        planned_end=now + timedelta(days=14, hours=1),
        service=service,
        team=team,
    )
    return "Demo releases: 2 releases, 4 DML artefacts."
