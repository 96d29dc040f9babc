"""The change panel of a change's ticket page: plans, schedule, risk and why, affected CIs
and services, tasks, approvals with the voter's buttons, incidents it caused, the review.
Fetched through the policy; nothing for people who may not see changes."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest

from steward.accounts.models import actor_of
from steward.changes import impact
from steward.changes.choices import ApprovalState, ChangeTaskState, Decision
from steward.changes.models import ApprovalRequest, Change, ChangeTask, Vote
from steward.changes.services import approvals, risk
from steward.core import policy, workflow
from steward.tickets.choices import LinkType
from steward.tickets.models import Ticket

#: Incidents shown as caused by the change (the rest are counted).
SHOWN_INCIDENTS = 50


def caused_incidents(change: Change, user: Any) -> Any:
    """Incidents linked to the change as "is caused by" (incident -> change), visible ones."""
    return Ticket.objects.visible_to(user).filter(
        kind="incidents.incident",
        links_out__target=change,
        links_out__link_type=LinkType.CAUSED_BY,
    )


def change_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    user = actor_of(request)
    change: Change = ticket
    if not policy.can(user, "view", change):
        return None
    may_change = policy.can(user, "change", change)
    requests = list(
        ApprovalRequest.objects.filter(change=change)
        .select_related("board")
        .prefetch_related(
            "approvers",
            Prefetch("votes", queryset=Vote.objects.select_related("person", "on_behalf_of")),
        )
        .order_by("-revision", "board__name")
    )
    for row in requests:
        row.is_current = row.revision == change.plan_revision  # type: ignore[attr-defined]
        row.may_vote_for = (  # type: ignore[attr-defined]
            approvals.votable_for(user, row)
            if row.state == ApprovalState.PENDING and row.is_current  # type: ignore[attr-defined]
            else []
        )
    labels = workflow.state_labels()
    incidents = list(
        caused_incidents(change, user).only("number", "title", "state")[:SHOWN_INCIDENTS]
    )
    for incident in incidents:
        incident.state_label = labels.get(incident.state, incident.state)
    return {
        "change": change,
        "breakdown": risk.breakdown(change),
        "services": impact.affected_services(change.pk),
        "affected_cis": list(change.affected_cis.select_related("ci_type").order_by("name")),
        "tasks": list(
            ChangeTask.objects.filter(change=change)
            .select_related("team", "assignee")
            .order_by("position", "id")
        ),
        "task_states": ChangeTaskState.choices,
        "requests": requests,
        "decisions": Decision.choices,
        "refusal": approvals.approval_refusal(change) if change.state == "approval" else None,
        "incidents": incidents,
        "may_change": may_change,
        "may_review": may_change
        and change.was_implemented
        and change.is_open
        or may_change
        and change.state == "review",
    }
