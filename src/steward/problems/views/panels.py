"""The problem panel of a problem's ticket page, and the problem panel of an incident's.

Both fetch through the policy and show nothing to people without the problem permissions
(requesters never learn an incident has a problem).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from steward.accounts.models import actor_of
from steward.core import policy, workflow
from steward.incidents.models import Incident
from steward.problems import forms as f
from steward.problems import rca, services
from steward.problems.choices import KT_DIMENSIONS, IshikawaCategory, RcaMethod
from steward.problems.models import Problem
from steward.problems.services.known_errors import FIXED_STATES

#: Linked incidents shown on the problem's page (the rest are counted).
SHOWN_INCIDENTS = 100


def analysis_view(problem: Problem) -> dict[str, Any]:
    """The stored analysis, shaped for its template."""
    data = problem.rca_data or {}
    view: dict[str, Any] = {"method": problem.rca_method, "data": data}
    if problem.rca_method == RcaMethod.ISHIKAWA:
        causes = data.get("causes", {})
        view["bones"] = [(c.label, causes[c.value]) for c in IshikawaCategory if c.value in causes]
    elif problem.rca_method == RcaMethod.KEPNER_TREGOE:
        view["spec"] = [(label, data.get(key, {})) for key, label in KT_DIMENSIONS.items()]
    elif problem.rca_method == RcaMethod.FAULT_TREE:
        view["tree"] = rca.tree_rows(data)
    if problem.rca_method:
        view["label"] = RcaMethod(problem.rca_method).label
    return view


def problem_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    user = actor_of(request)
    problem: Problem = ticket
    if not policy.can(user, "view", problem):
        return None
    labels = workflow.state_labels()
    incidents = list(
        services.linked_incidents(problem, user)
        .select_related("assignee")
        .only(
            "number",
            "title",
            "state",
            "state_category",
            "priority",
            "assignee__full_name",
            "assignee__email",
        )
        .order_by("-opened_at", "-id")[:SHOWN_INCIDENTS]
    )
    for incident in incidents:
        setattr(incident, "state_label", labels.get(incident.state, incident.state))  # noqa: B010
    open_count = services.linked_incidents(problem, user).open().count()
    may_change = policy.can(user, "change", problem)
    return {
        "problem": problem,
        "analysis": analysis_view(problem),
        "incidents": incidents,
        "incident_count": services.linked_incidents(problem, user).count(),
        "open_incident_count": open_count,
        "may_change": may_change,
        "may_link": policy.has_model_permission(user, Incident, "change") and problem.is_open,
        "may_resolve_incidents": may_change and problem.state in FIXED_STATES and open_count,
        "fix_form": f.FixForm(
            initial={"reference": problem.fix_reference, "version": problem.version}
        ),
        "link_form": f.LinkIncidentsForm(),
        "resolve_form": f.ResolveIncidentsForm(),
    }


def incident_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """On an incident's page: its problem (with the known error's workaround to apply),
    or a form to link it to one."""
    user = actor_of(request)
    if not policy.has_model_permission(user, Problem, "view"):
        return None
    incident: Incident = ticket
    problems = list(
        services.problems_of(incident, user).only(
            "number", "title", "state", "known_error_at", "workaround", "workaround_uses"
        )
    )
    labels = workflow.state_labels()
    for problem in problems:
        setattr(problem, "state_label", labels.get(problem.state, problem.state))  # noqa: B010
    may_change = policy.can(user, "change", incident)
    return {
        "incident": incident,
        "problems": problems,
        "may_change": may_change and incident.is_open,
        "link_form": f.LinkProblemForm(),
    }
