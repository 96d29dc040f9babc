"""What every ticket shares: the ticket base, comments, attachments, links, watchers, time.

``Ticket`` is a concrete table. Incidents, problems, changes, requests, fulfilment tasks and
releases extend it (one level of multi-table inheritance) and add only what is their own; a
plain ``Ticket`` is a task, a piece of work with no process of its own. One queue, one search,
one foreign key for SLA clocks, comments, attachments and links, across all kinds.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.core.workflow import Category
from steward.tickets.choices import Impact, LinkType, Priority, Urgency

VIEW = frozenset({"view"})
VIEW_ADD = frozenset({"view", "add"})
VIEW_CHANGE = frozenset({"view", "change"})


class PriorityRule(models.Model):
    """One cell of the impact x urgency matrix: the priority it gives."""

    impact = models.PositiveSmallIntegerField(choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    objects = ScopedQuerySet["PriorityRule"].as_manager()

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="uniq_priority_cell")
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} x urgency {self.urgency} = {self.priority}"


class TicketQuerySet(ScopedQuerySet["Ticket"]):
    def open(self) -> TicketQuerySet:
        return self.filter(state_category__in=Category.OPEN)

    def for_queue(self, person: Person) -> TicketQuerySet:
        """Open work for ``person``: assigned to them, or to one of their teams unassigned
        or not (the "my work" view narrows further with filters)."""
        teams = Team.objects.filter(memberships__person=person).values("pk")
        return self.open().filter(models.Q(assignee=person) | models.Q(team__in=teams))


class Ticket(models.Model):
    """A ticket of any kind. Subclasses set ``number_prefix`` and ``sequence_name``."""

    number_prefix: ClassVar[str] = "TSK"
    sequence_name: ClassVar[str] = "task"
    #: Does a new ticket of this kind belong to its requester's organisation? (A problem
    #: does not: it is the provider's, and no customer organisation shares it.)
    takes_requester_organisation: ClassVar[bool] = True
    #: The field that says why a ticket waits in its current state (an incident's hold
    #: reason), if the kind has one: service level targets may pause, stop or start on a
    #: state with one reason only (``on_hold:awaiting_caller``).
    state_reason_field: ClassVar[str] = ""

    kind = models.CharField(max_length=50, editable=False, db_index=True)
    number = models.CharField(max_length=32, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    resolution = models.TextField(blank=True, help_text="How it was resolved (Markdown).")
    requester = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    service = models.ForeignKey(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_tickets",
    )
    configuration_item = models.ForeignKey(
        ConfigurationItem, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.LOW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PLANNING)
    state = models.CharField(max_length=32)
    state_category = models.CharField(max_length=16, default=Category.NEW)
    opened_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    watchers = models.ManyToManyField(Person, through="Watcher", related_name="watched_tickets")

    objects = TicketQuerySet.as_manager()
    policy_rule = Rule(
        organisation="organisation",
        owners={"requester": VIEW_ADD, "assignee": VIEW_CHANGE, "watchers": VIEW},
        shared_with_organisation=True,
    )

    class Meta:
        ordering = ["priority", "opened_at", "id"]
        indexes = [
            models.Index(
                fields=["team", "state_category", "priority", "opened_at"], name="ticket_team_queue"
            ),
            models.Index(
                fields=["assignee", "state_category", "priority", "opened_at"],
                name="ticket_assignee_queue",
            ),
            models.Index(fields=["requester", "opened_at"], name="ticket_requester"),
            models.Index(fields=["organisation", "opened_at"], name="ticket_organisation"),
            models.Index(fields=["state_category", "priority", "opened_at"], name="ticket_open"),
            # A team's open queue in queue order: the page stops after 50 rows instead of
            # sorting every open ticket of the team (state_category IN (...) breaks the order
            # of ticket_team_queue). Measured at 1M tickets: 17-23 ms -> 0.3 ms (bench/).
            models.Index(
                fields=["team", "priority", "opened_at", "id"],
                name="ticket_team_open",
                condition=models.Q(state_category__in=Category.OPEN),
            ),
            # Every open ticket in queue order (the incident list's default): at 1M incidents
            # the first page sorted 150,000 open rows (370 ms) without it.
            models.Index(
                fields=["priority", "opened_at", "id"],
                name="ticket_open_order",
                condition=models.Q(state_category__in=Category.OPEN),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:ticket_detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.state_category in Category.OPEN


class Watcher(models.Model):
    """Someone who is told about a ticket's changes without working on it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watcher_rows")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="watching")
    added_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["Watcher"].as_manager()
    policy_rule = Rule(
        organisation="ticket__organisation",
        owners={"person": frozenset({"view", "add", "delete"})},
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "person"], name="uniq_watcher")]

    def __str__(self) -> str:
        return f"{self.person} watches {self.ticket_id}"


class CommentQuerySet(ScopedQuerySet["Comment"]):
    def public(self) -> CommentQuerySet:
        return self.filter(is_public=True)


class Comment(models.Model):
    """A public reply (the requester sees it) or an internal work note (staff only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="ticket_comments")
    body = models.TextField(help_text="Markdown.")
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommentQuerySet.as_manager()
    policy_rule = Rule(
        organisation="ticket__organisation",
        owners={"ticket__requester": VIEW, "ticket__watchers": VIEW, "author": VIEW},
        shared_with_organisation=True,
        owner_filter={"is_public": True},
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket")]

    def __str__(self) -> str:
        kind = "reply" if self.is_public else "work note"
        return f"{kind} by {self.author} on {self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """Stored under a random name: the original name never reaches the file system."""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket, checked by content on upload and only ever served as a download."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    is_public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="ticket_attachments"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["Attachment"].as_manager()
    policy_rule = Rule(
        organisation="ticket__organisation",
        owners={"ticket__requester": VIEW, "ticket__watchers": VIEW, "uploaded_by": VIEW},
        shared_with_organisation=True,
        owner_filter={"is_public": True},
    )

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("tickets:attachment_download", args=[self.pk])


class TicketLinkQuerySet(ScopedQuerySet["TicketLink"]):
    def touching(self, ticket: Ticket) -> TicketLinkQuerySet:
        return self.filter(models.Q(source=ticket) | models.Q(target=ticket))


class TicketLink(models.Model):
    """ "``source`` <link type> ``target``", between tickets of any kinds."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    link_type = models.CharField(max_length=20, choices=LinkType.choices)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TicketLinkQuerySet.as_manager()
    policy_rule = Rule(
        organisation="source__organisation",
        owners={"source__requester": VIEW},
        shared_with_organisation=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "link_type"], name="uniq_ticket_link"
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.get_link_type_display()} {self.target_id}"


class TimeEntry(models.Model):
    """Time somebody spent on a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="time_entries")
    minutes = models.PositiveIntegerField()
    spent_on = models.DateField(default=timezone.localdate)
    billable = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["TimeEntry"].as_manager()
    policy_rule = Rule(
        organisation="ticket__organisation",
        owners={"person": frozenset({"view", "change", "delete"})},
    )

    class Meta:
        ordering = ["spent_on", "id"]
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0) & models.Q(minutes__lte=24 * 60),
                name="time_entry_minutes",
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min by {self.person} on {self.ticket_id}"


def ticket_kinds() -> dict[str, type[Ticket]]:
    """Every ticket model by its ``kind`` label (``tickets.ticket``, ``incidents.incident``)."""
    from django.apps import apps

    kinds: dict[str, type[Ticket]] = {}
    for model in apps.get_models():
        if issubclass(model, Ticket):
            kinds[model._meta.label_lower] = model
    return kinds


def specific(ticket: Ticket) -> Any:
    """The ticket as its own kind (an ``Incident`` for an incident's base row)."""
    model = ticket_kinds().get(ticket.kind, Ticket)
    if model is Ticket or isinstance(ticket, model):
        return ticket
    return model._default_manager.get(pk=ticket.pk)
