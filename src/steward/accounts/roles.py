"""What each role may do, as data: permission patterns matched against ``app.codename``.

Patterns may name apps that do not exist yet (``incidents.*``); they start to grant as soon
as that app's permissions exist. ``sync_roles`` writes the Role rows and their permissions;
it runs after every ``migrate``. Object scope (which rows) is the policy's job, not this.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction

from steward.accounts.choices import RoleCode

STAFF_READ = [
    "accounts.view_person",
    "accounts.view_organisation",
    "accounts.view_team",
    "accounts.view_role",
]
SERVICE_READ = [f"{app}.view_*" for app in ("cmdb", "sla", "catalog", "knowledge")]
_AGENT_WORK = (
    STAFF_READ
    + SERVICE_READ
    + [
        "tickets.*",
        "!tickets.delete_ticket",
        "!tickets.add_priorityrule",
        "!tickets.change_priorityrule",
        "!tickets.delete_priorityrule",
        "incidents.view_*",
        "incidents.add_*",
        "incidents.change_*",
        "problems.view_*",
        "changes.view_*",
        "releases.view_*",
        "servicedesk.*",
        # Notification templates and the outbound mail log are the administrators'.
        "!servicedesk.*_notificationtemplate",
        "!servicedesk.*_outboundemail",
        "!servicedesk.*_mailbox",  # reading mailboxes (and their passwords) is administration
        "events.view_*",
        # Agents write and file articles, attach files, give feedback and record use;
        # reviewing, publishing and retiring is the knowledge managers' (publish_article).
        "knowledge.add_article",
        "knowledge.change_article",
        "knowledge.add_articleattachment",
        "knowledge.add_articlefeedback",
        "knowledge.change_articlefeedback",
        "knowledge.add_articleuse",
    ]
)
#: Incident categories and assignment rules are set up by incident managers and administrators.
INCIDENT_SETUP = [
    f"!incidents.{action}_{model}"
    for model in ("category", "assignmentrule")
    for action in ("add", "change", "delete")
]
#: The satisfaction report is for those who lead the desk (team leads, incident managers).
SATISFACTION_REPORT = "servicedesk.view_satisfaction_report"
AGENT = [*_AGENT_WORK, *INCIDENT_SETUP, f"!{SATISFACTION_REPORT}"]


@dataclass(frozen=True)
class RoleDefinition:
    """A role's name, purpose and permission patterns."""

    name: str
    description: str
    grants: tuple[str, ...]
    is_staff_role: bool = True


ROLE_DEFINITIONS: dict[str, RoleDefinition] = {
    RoleCode.REQUESTER: RoleDefinition(
        "Requester",
        "Reports incidents and requests through the portal; sees only their own records "
        "(and their organisation's where it shares them).",
        (),
        is_staff_role=False,
    ),
    RoleCode.AGENT: RoleDefinition(
        "Agent", "Works tickets at the service desk and in support teams.", tuple(AGENT)
    ),
    RoleCode.TEAM_LEAD: RoleDefinition(
        "Team lead",
        "An agent who also leads a team: manages its membership and workload.",
        (*_AGENT_WORK, *INCIDENT_SETUP),
    ),
    RoleCode.INCIDENT_MANAGER: RoleDefinition(
        "Incident manager",
        "Owns incident management: major incidents, escalations, reviews.",
        (*_AGENT_WORK, "incidents.*", "events.*"),
    ),
    RoleCode.PROBLEM_MANAGER: RoleDefinition(
        "Problem manager",
        "Owns problem management and the known-error database.",
        (*AGENT, "problems.*", "knowledge.*"),
    ),
    RoleCode.KNOWLEDGE_MANAGER: RoleDefinition(
        "Knowledge manager",
        "Owns the knowledge base: reviews, publishes and retires articles, keeps categories.",
        (*AGENT, "knowledge.*"),
    ),
    RoleCode.CHANGE_MANAGER: RoleDefinition(
        "Change manager",
        "Owns change management: assessment, CAB, the change schedule.",
        (*AGENT, "changes.*"),
    ),
    RoleCode.CONFIGURATION_MANAGER: RoleDefinition(
        "Configuration manager",
        "Owns the CMDB: classes, relationships, baselines, reconciliation.",
        (*AGENT, "cmdb.*"),
    ),
    RoleCode.SERVICE_LEVEL_MANAGER: RoleDefinition(
        "Service level manager",
        "Owns SLAs, OLAs and underpinning contracts, and their reporting.",
        (*AGENT, "sla.*", "availability.*", "capacity.*"),
    ),
    RoleCode.RELEASE_MANAGER: RoleDefinition(
        "Release manager",
        "Owns releases, deployments and the definitive media library.",
        (*AGENT, "releases.*"),
    ),
    RoleCode.CATALOG_MANAGER: RoleDefinition(
        "Catalog manager",
        "Owns the service catalogue and request offerings.",
        (*AGENT, "catalog.*"),
    ),
    RoleCode.CAB_MEMBER: RoleDefinition(
        "CAB member",
        "Reviews and votes on changes at the change advisory board.",
        (*STAFF_READ, *SERVICE_READ, "changes.view_*", "changes.change_approval"),
    ),
    RoleCode.SERVICE_OWNER: RoleDefinition(
        "Service owner",
        "Accountable for a service: its levels, availability, capacity and costs.",
        (
            *STAFF_READ,
            *SERVICE_READ,
            "incidents.view_*",
            "problems.view_*",
            "changes.view_*",
            "availability.view_*",
            "capacity.view_*",
            "continuity.view_*",
            "finance.view_*",
            "governance.view_*",
            "servicedesk.view_satisfaction*",
        ),
    ),
    RoleCode.AUDITOR: RoleDefinition(
        "Auditor",
        "Reads everything, including the audit log; changes nothing.",
        ("*.view_*",),
    ),
    RoleCode.ADMINISTRATOR: RoleDefinition(
        "Administrator",
        "Manages people, organisations, teams, roles and configuration.",
        ("*",),
    ),
}

# Django's own bookkeeping models are nobody's business data.
EXCLUDED_APPS = frozenset({"contenttypes", "sessions", "auth", "django_tasks_db", "otp_totp"})


def permissions_for(patterns: tuple[str, ...], available: list[tuple[int, str]]) -> list[int]:
    """Ids of permissions whose ``app.codename`` matches one of ``patterns``.

    A pattern starting with ``!`` takes matching permissions away again (``"tickets.*"``,
    ``"!tickets.*_priorityrule"``: everything on tickets except the priority matrix).
    """
    grants = [p for p in patterns if not p.startswith("!")]
    denials = [p[1:] for p in patterns if p.startswith("!")]
    return [
        pk
        for pk, name in available
        if name.split(".")[0] not in EXCLUDED_APPS
        and any(fnmatchcase(name, pattern) for pattern in grants)
        and not any(fnmatchcase(name, pattern) for pattern in denials)
    ]


@transaction.atomic
def sync_roles() -> None:
    """Create missing roles and set every role's permissions from ``ROLE_DEFINITIONS``.

    Administrators' choices on a role (its 2FA requirement, its description) are kept.
    """
    from steward.accounts.models import Role

    available = [
        (pk, f"{app}.{codename}")
        for pk, app, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    ]
    for code, definition in ROLE_DEFINITIONS.items():
        role, _ = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": definition.name,
                "description": definition.description,
                "is_staff_role": definition.is_staff_role,
            },
        )
        role.permissions.set(permissions_for(definition.grants, available))


def sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Sync once per migrate, after the last app has created its permissions."""
    from django.apps import apps

    # Django sends post_migrate only for apps with models: the last of those.
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender is last:
        sync_roles()
