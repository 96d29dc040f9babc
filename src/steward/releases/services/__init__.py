"""Every write to releases (deployments, the changes they group and the definitive media
library in their own modules). Actor first, one transaction, audited.

Releases are tickets: they are opened through ``tickets.services.create_ticket`` and change
state only through ``core.workflow.transition``. Only roles with the release permissions
(release managers) open, edit and move releases; agents read them; requesters see nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.core import audit, policy
from steward.core.errors import Conflict, RuleViolation
from steward.releases.choices import ArtefactState, ReleaseType
from steward.releases.models import DmlArtefact, Release
from steward.releases.services.changes import set_release_changes, unapproved_changes
from steward.releases.services.deployments import plan_deployment, transition_deployment
from steward.releases.services.dml import (
    approve_artefact,
    find_artefact,
    register_artefact,
    register_artefact_from_file,
    retire_artefact,
    update_artefact,
    verify_file,
)
from steward.tickets import services as tickets

#: Release fields changed with ``update_release`` (the ticket's own go to ``update_ticket``).
RELEASE_FIELDS = ("release_version", "release_type", "planned_start", "planned_end")

__all__ = [
    "RELEASE_FIELDS",
    "approve_artefact",
    "edit_release",
    "find_artefact",
    "open_release",
    "plan_deployment",
    "register_artefact",
    "register_artefact_from_file",
    "retire_artefact",
    "set_release_artefacts",
    "set_release_changes",
    "transition_deployment",
    "transition_release",
    "unapproved_changes",
    "update_artefact",
    "update_release",
    "verify_file",
]


def _check_own(values: dict[str, Any], *, start: Any = None, end: Any = None) -> None:
    if "release_version" in values:
        text = values["release_version"]
        if not isinstance(text, str) or not text.strip():
            raise RuleViolation({"release_version": "Give the version the release ships."})
        values["release_version"] = text.strip()
    if "release_type" in values and values["release_type"] not in ReleaseType.values:
        raise RuleViolation({"release_type": "Choose major, minor or emergency."})
    for name in ("planned_start", "planned_end"):
        value = values.get(name)
        if value is not None and not isinstance(value, datetime):
            raise RuleViolation({name: "Give a date and time."})
    start = values.get("planned_start", start)
    end = values.get("planned_end", end)
    if start is not None and end is not None and end < start:
        raise RuleViolation({"planned_end": "The planned end is before the planned start."})


def _check_no_organisation(values: dict[str, Any]) -> None:
    if values.get("organisation") is not None:
        raise RuleViolation(
            {"organisation": "Releases are the provider's: they belong to no organisation."}
        )


def _check_requester(requester: Person | None) -> None:
    if requester is not None and not policy.has_model_permission(requester, Release, "view"):
        raise RuleViolation({"requester": "A release's requester is staff who may see releases."})


def _locked(actor: Person | None, release: Release, expected_version: int | None) -> Release:
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


def _save(actor: Person | None, release: Release, action: str, changed: dict[str, Any]) -> Release:
    release.version += 1
    release.updated_at = timezone.now()
    release.full_clean()
    release.save()
    audit.record(
        actor=actor, action=action, obj=release, changes=changed, object_repr=release.number
    )
    return release


@transaction.atomic
def open_release(
    *,
    actor: Person | None,
    title: str,
    release_version: str,
    release_type: str = ReleaseType.MINOR,
    requester: Person | None = None,
    artefacts: Sequence[DmlArtefact] = (),
    **values: Any,
) -> Release:
    """Plan a release (release managers). Whoever plans it is its requester."""
    if actor is not None:
        policy.require_add(actor, Release)
    _check_requester(requester or actor)
    _check_no_organisation(values)
    own = {"release_version": release_version, "release_type": release_type}
    own.update({k: values.pop(k) for k in ("planned_start", "planned_end") if k in values})
    _check_own(own)
    release: Release = tickets.create_ticket(
        actor=actor, model=Release, title=title, requester=requester, **own, **values
    )
    if artefacts:
        release = set_release_artefacts(actor=actor, release=release, artefacts=artefacts)
    return release


@transaction.atomic
def update_release(
    *,
    actor: Person | None,
    release: Release,
    expected_version: int | None = None,
    **changes: Any,
) -> Release:
    """Change a release's fields: its own (version, type, planned dates) and the ticket's."""
    own = {k: v for k, v in changes.items() if k in RELEASE_FIELDS}
    shared = {k: v for k, v in changes.items() if k not in RELEASE_FIELDS}
    locked = _locked(actor, release, expected_version)
    if "requester" in shared:
        _check_requester(shared["requester"])
    _check_no_organisation(shared)
    version = locked.version
    if shared:
        locked = tickets.update_ticket(actor=actor, ticket=locked, **shared)
    if not own:
        return locked
    _check_own(own, start=locked.planned_start, end=locked.planned_end)
    before = audit.snapshot(locked, RELEASE_FIELDS)
    for name, value in own.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, RELEASE_FIELDS))
    if not changed:
        return locked
    if locked.version != version:
        locked.version -= 1  # one edit, one new version
    return _save(actor, locked, "release.updated", changed)


@transaction.atomic
def edit_release(
    *,
    actor: Person | None,
    ticket: Release,
    expected_version: int | None = None,
    **changes: Any,
) -> Release:
    """An edit from a generic entrance (the ticket page, ``PATCH /tickets/``)."""
    return update_release(actor=actor, release=ticket, expected_version=expected_version, **changes)


@transaction.atomic
def set_release_artefacts(
    *,
    actor: Person | None,
    release: Release,
    artefacts: Sequence[DmlArtefact],
    expected_version: int | None = None,
) -> Release:
    """Name the DML artefacts the release ships (replacing the list). Retired artefacts are
    refused; the artefacts must be visible to the actor."""
    locked = _locked(actor, release, expected_version)
    if not locked.is_open:
        raise RuleViolation({"artefacts": f"{locked.number} is no longer open."})
    for artefact in artefacts:
        if actor is not None:
            policy.require(actor, "view", artefact)
        if artefact.state == ArtefactState.RETIRED:
            raise RuleViolation({"artefacts": f"{artefact} is retired."})
    before = audit.snapshot(locked, ("artefacts",))
    locked.artefacts.set(artefacts)
    changed = audit.diff(before, audit.snapshot(locked, ("artefacts",)))
    if not changed:
        return locked
    return _save(actor, locked, "release.artefacts_set", changed)


def transition_release(
    *,
    actor: Person | None,
    release: Release,
    to: str,
    values: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Release:
    """Move a release to another state (the workflow engine decides and audits)."""
    moved: Release = tickets.transition_ticket(
        actor=actor, ticket=release, to=to, values=values, expected_version=expected_version
    )
    return moved
