"""Rendering notification templates: a restricted Django template engine and plain context.

Templates are Django templates compiled from the strings administrators edit. The engine has
no loaders (no ``include``/``extends``), no tag libraries to ``load``, refuses ``{% debug %}``,
and the context holds **plain strings only** (never model objects, whose methods a template
could call). ``CONTEXT_HELP`` documents every name; the docs page lists the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.defaulttags import DebugNode

from steward.core.errors import RuleViolation
from steward.servicedesk.models.outbound import NotificationEvent

MAX_BODY_CHARS = 100_000

#: Every name a notification template may use, with what it holds.
CONTEXT_HELP: dict[str, str] = {
    "number": "The ticket number, e.g. INC0001042.",
    "title": "The ticket's title.",
    "kind": "What the ticket is: incident, task ...",
    "state": "The state's label after the change: New, Resolved ...",
    "priority": "The priority's label: 1 Critical ... 5 Planning.",
    "url": "The ticket's address in Steward.",
    "description": "The ticket's description (Markdown).",
    "resolution": "How it was resolved (Markdown; empty until resolved).",
    "requester_name": "Who the ticket is for.",
    "assignee_name": "Who works on it (empty when nobody).",
    "team_name": "The team it is assigned to (empty when none).",
    "recipient_name": "Who this e-mail is to.",
    "actor_name": 'Who made the change ("Steward" for the system).',
    "comment": "The latest public reply (Markdown; for a reply: that reply). Never a work note.",
    "comment_author": "Who wrote that reply.",
    "site_name": "This installation's name.",
    "rating": "For the requester of a resolved ticket: one-click rating links 1 (poor) to 5"
    " (great), as a Markdown line; empty for everybody else.",
    "approval_token": "For a change approval request: the signed line a reply must quote to"
    " vote by e-mail (good once, for this revision of the plan); empty otherwise.",
}

#: Sample values for previews and for checking a template renders.
SAMPLE_CONTEXT: dict[str, str] = {
    "number": "INC0001042",
    "title": "Printer on floor 3 is jammed",
    "kind": "incident",
    "state": "In progress",
    "priority": "3 Moderate",
    "url": "https://steward.example.org/tickets/INC0001042/",
    "description": "It *beeps* and shows error E42.",
    "resolution": "Removed the stuck sheet.",
    "requester_name": "Ada Lovelace",
    "assignee_name": "Grace Hopper",
    "team_name": "Service desk",
    "recipient_name": "Ada Lovelace",
    "actor_name": "Grace Hopper",
    "comment": "I am on my way with a new drum.",
    "comment_author": "Grace Hopper",
    "site_name": "Steward",
    "rating": "How did we do? [1](https://steward.example.org/portal/rate/sample/1/) ...",
    "approval_token": "Approval token: eyJpIjo0MiwiciI6MX0:1vG2x0:sample",
}

_FOOTER = "\n\n---\n[Open {{ number }} in {{ site_name }}]({{ url }})\n"

#: What a fresh installation sends, per event (all ticket kinds).
DEFAULTS: dict[str, tuple[str, str]] = {
    NotificationEvent.CREATED: (
        "[{{ number }}] We received your request: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "your {{ kind }} **{{ number }}** has been opened: {{ title }}.\n"
        "We will be in touch; reply to this e-mail to add anything." + _FOOTER,
    ),
    NotificationEvent.ASSIGNED: (
        "[{{ number }}] Assigned to you: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "{{ kind|capfirst }} **{{ number }}** ({{ priority }}) is now yours"
        "{% if team_name %} in {{ team_name }}{% endif %}: {{ title }}.\n\n"
        "{{ description }}" + _FOOTER,
    ),
    NotificationEvent.COMMENTED: (
        "[{{ number }}] New reply: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "{{ comment_author }} replied on {{ number }}:\n\n{{ comment }}" + _FOOTER,
    ),
    NotificationEvent.RESOLVED: (
        "[{{ number }}] Resolved: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "your {{ kind }} **{{ number }}** has been resolved.\n\n{{ resolution }}\n\n"
        "If the problem is still there, reply to this e-mail."
        "{% if rating %}\n\n{{ rating }} (1 poor, 5 great){% endif %}" + _FOOTER,
    ),
    NotificationEvent.CLOSED: (
        "[{{ number }}] Closed: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "your {{ kind }} **{{ number }}** is now {{ state|lower }}." + _FOOTER,
    ),
    NotificationEvent.SLA_WARNING: (
        "[{{ number }}] Service level at risk: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "{{ kind|capfirst }} **{{ number }}** ({{ priority }}, {{ state|lower }}) is close to "
        "its service level target. The ticket page explains when it is due." + _FOOTER,
    ),
    NotificationEvent.SLA_BREACH: (
        "[{{ number }}] Service level breached: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "{{ kind|capfirst }} **{{ number }}** ({{ priority }}, {{ state|lower }}) has missed "
        "its service level target. The ticket page explains why it was due when it was." + _FOOTER,
    ),
    NotificationEvent.APPROVAL_REQUESTED: (
        "[{{ number }}] Approval requested: {{ title }}",
        "Hello {{ recipient_name }},\n\n"
        "{{ kind|capfirst }} **{{ number }}** waits for your approval: {{ title }}.\n\n"
        "{{ description }}\n\n"
        "Approve or reject it on its page, or reply to this e-mail with APPROVE or REJECT as "
        "the first word (a comment may follow), keeping the line below in the reply.\n\n"
        "{{ approval_token }}" + _FOOTER,
    ),
}


@lru_cache(maxsize=1)
def engine() -> Engine:
    """No loaders, no loadable libraries, no autoescaping (the output is text and Markdown)."""
    return Engine(loaders=[], libraries={}, autoescape=False, string_if_invalid="")


@lru_cache(maxsize=256)
def compile_template(source: str) -> Template:
    """``source`` compiled; raises ``TemplateSyntaxError`` (also for ``{% debug %}``)."""
    template = engine().from_string(source)
    if template.nodelist.get_nodes_by_type(DebugNode):
        raise TemplateSyntaxError("The debug tag is not available in notifications.")
    return template


def render(source: str, context: Mapping[str, str]) -> str:
    return compile_template(source).render(Context(dict(context), autoescape=False))


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def check(subject: str, body: str) -> Rendered:
    """Both templates compile and render with the sample context; else a ``RuleViolation``
    naming the field. Returns the sample rendering (the preview)."""
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    for field, source in (("subject", subject), ("body", body)):
        if not source.strip():
            errors[field] = "Write a template."
            continue
        try:
            out[field] = render(source, SAMPLE_CONTEXT)
        except TemplateSyntaxError as exc:
            errors[field] = f"This template does not compile: {exc}"
        except Exception as exc:  # any failure while rendering is the template's fault
            errors[field] = f"This template fails to render: {exc}"
    if not errors and not out["subject"].strip():
        errors["subject"] = "The subject comes out empty."
    if errors:
        raise RuleViolation(errors)
    return Rendered(subject=out["subject"], body=out["body"])
