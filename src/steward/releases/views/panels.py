"""The release panel of a release's ticket page: its plan, the changes it groups (and
whether they are approved), its deployments per environment as a matrix, and its artefacts,
with the forms release managers use to change them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from steward.accounts.models import actor_of
from steward.changes.models import Change
from steward.core import policy, workflow
from steward.releases import forms as f
from steward.releases import hooks
from steward.releases.choices import Environment
from steward.releases.models import Deployment, Release
from steward.releases.services.changes import APPROVED_CHANGE_STATES

#: Deployments shown per environment (the rest are counted).
SHOWN_PER_ENVIRONMENT = 20


def release_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    user = actor_of(request)
    release: Release = ticket
    if not policy.can(user, "view", release):
        return None
    labels = workflow.state_labels()
    changes = list(
        Change.objects.visible_to(user)
        .filter(releases=release)
        .only("number", "title", "state", "state_category", "change_type")
        .order_by("number")
    )
    for change in changes:
        change.state_label = labels.get(change.state, change.state)  # type: ignore[attr-defined]
        change.is_approved = change.state in APPROVED_CHANGE_STATES  # type: ignore[attr-defined]
    deployments = list(
        Deployment.objects.visible_to(user)
        .filter(release=release)
        .select_related("deployed_by")
        .prefetch_related("artefacts")
        .order_by("-created_at", "-id")
    )
    columns = []
    for value, label in Environment.choices:
        rows = [d for d in deployments if d.environment == value]
        columns.append(
            {
                "environment": value,
                "label": label,
                "latest": rows[0] if rows else None,
                "rows": rows[:SHOWN_PER_ENVIRONMENT],
                "count": len(rows),
            }
        )
    artefacts = list(release.artefacts.order_by("name", "artefact_version"))
    may_change = policy.can(user, "change", release) and release.is_open
    return {
        "release": release,
        "changes": changes,
        "columns": columns,
        "artefacts": artefacts,
        "production_refusal": hooks.production_refusal(release) if release.is_open else None,
        "may_change": may_change,
        "changes_form": f.ReleaseChangesForm(
            initial={"numbers": " ".join(c.number for c in changes), "version": release.version}
        ),
        "artefacts_form": f.ReleaseArtefactsForm(
            user=user, initial={"artefacts": artefacts, "version": release.version}
        )
        if may_change
        else None,
    }


def change_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """On a change's page: the releases that group it (for those who see releases)."""
    user = actor_of(request)
    if not policy.has_model_permission(user, Release, "view"):
        return None
    releases = list(
        Release.objects.visible_to(user)
        .filter(changes=ticket.pk)
        .only("number", "title", "release_version", "state")
        .order_by("-opened_at", "-id")[:50]
    )
    labels = workflow.state_labels()
    for release in releases:
        setattr(release, "state_label", labels.get(release.state, release.state))  # noqa: B010
    return {"releases": releases}
