"""Incident management: incidents, their category tree and the assignment rules.

``Incident`` extends ``tickets.Ticket`` (one level of multi-table inheritance) with what is
its own: category and subcategory, how it was reported, why it waits, how it was resolved,
and how often it was reopened and reassigned. Parties, service, CI, impact, urgency,
priority, state and resolution notes are the ticket's.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.core.errors import RuleViolation
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.core.workflow import Category as StateCategory
from steward.incidents.choices import (
    AssignmentRuleMethod,
    IncidentContactType,
    IncidentHoldReason,
    IncidentResolutionCode,
    InteractionChannel,
    InteractionOutcome,
    MajorIncidentAudience,
    ReviewStatus,
)
from steward.tickets.models import VIEW, VIEW_CHANGE, Comment, Ticket

#: Categories have subcategories; subcategories have none (a two-level tree).
MAX_CATEGORY_DEPTH = 2


class CategoryQuerySet(ScopedQuerySet["Category"]):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)

    def roots(self) -> CategoryQuerySet:
        return self.filter(parent__isnull=True)


class Category(models.Model):
    """An incident category, or a subcategory when it has a parent (two levels at most).

    Categories are never deleted once used; they are deactivated (``is_active``), so old
    incidents keep theirs while new ones cannot choose it.
    """

    name = models.CharField(max_length=120)
    code = models.SlugField(max_length=50, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["parent_id", "name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="incident_category_not_own_parent"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="uniq_incident_category_name"),
        ]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name

    @property
    def is_subcategory(self) -> bool:
        return self.parent_id is not None


class IncidentQuerySet(ScopedQuerySet["Incident"]):
    def open(self) -> IncidentQuerySet:
        return self.filter(state_category__in=StateCategory.OPEN)

    def major(self) -> IncidentQuerySet:
        return self.filter(is_major=True)

    def due_to_close(self, at: object) -> IncidentQuerySet:
        """Resolved incidents whose reopening window ended at or before ``at``."""
        return self.filter(
            state_category=StateCategory.RESOLVED,
            auto_close_at__isnull=False,
            auto_close_at__lte=at,
        )


class Incident(Ticket):
    """An unplanned interruption or reduction in quality of a service (ITIL), as a ticket.

    A resolved incident closes by itself ``INCIDENT_AUTO_CLOSE_BUSINESS_DAYS`` business days
    after it was resolved (``auto_close_at``); until then a reply from its requester reopens it.
    """

    number_prefix: ClassVar[str] = "INC"
    sequence_name: ClassVar[str] = "incident"
    state_reason_field: ClassVar[str] = "hold_reason"

    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    subcategory = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subcategory_incidents",
        help_text="A child of the category.",
    )
    contact_type = models.CharField(
        max_length=20, choices=IncidentContactType.choices, default=IncidentContactType.PORTAL
    )
    hold_reason = models.CharField(
        max_length=20,
        choices=IncidentHoldReason.choices,
        blank=True,
        help_text="Why it waits; set while on hold.",
    )
    resolution_code = models.CharField(
        max_length=30, choices=IncidentResolutionCode.choices, blank=True
    )
    reopen_count = models.PositiveIntegerField(default=0)
    reassignment_count = models.PositiveIntegerField(default=0)
    auto_close_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When a resolved incident closes by itself (end of its reopening window).",
    )
    is_major = models.BooleanField(
        default=False,
        editable=False,
        db_index=True,
        help_text="Declared a major incident (``declare_major``); standing down clears it.",
    )
    major_declared_at = models.DateTimeField(null=True, blank=True, editable=False)
    major_declared_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    major_manager = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_major_incidents",
        editable=False,
        help_text="The major-incident manager: runs the response and its communication.",
    )

    objects = IncidentQuerySet.as_manager()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["priority", "opened_at", "id"]
        permissions = [
            ("declare_major_incident", "Can declare and stand down major incidents"),
        ]
        indexes = [
            # The few major incidents among a million: their list and count read only them.
            models.Index(
                fields=["ticket_ptr"], name="incident_major", condition=models.Q(is_major=True)
            ),
        ]

    def can_reopen_by_requester(self, at: object = None) -> bool:
        """Is the incident resolved and still inside its reopening window?"""
        at = at or timezone.now()
        return self.state_category == StateCategory.RESOLVED and (
            self.auto_close_at is None or at < self.auto_close_at  # type: ignore[operator]
        )


class AssignmentRuleQuerySet(ScopedQuerySet["AssignmentRule"]):
    def active(self) -> AssignmentRuleQuerySet:
        return self.filter(is_active=True, team__is_active=True)


class AssignmentRule(models.Model):
    """Routes new incidents to a team: the first active rule (by ``order``) that matches wins.

    Empty match fields match anything. ``organisation`` matches it and its sub-organisations;
    ``category`` matches the incident's category or subcategory. Within the team, the rule
    picks an available member (active, not away) by round robin or by the fewest open tickets.
    """

    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    is_active = models.BooleanField(default=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="assignment_rules"
    )
    service = models.ForeignKey(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_assignment_rules",
    )
    configuration_item = models.ForeignKey(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignment_rules",
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignment_rules",
    )
    contact_type = models.CharField(max_length=20, choices=IncidentContactType.choices, blank=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="assignment_rules")
    method = models.CharField(
        max_length=20,
        choices=AssignmentRuleMethod.choices,
        default=AssignmentRuleMethod.ROUND_ROBIN,
    )
    last_assignee = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Whom round robin picked last.",
    )

    objects = AssignmentRuleQuerySet.as_manager()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    def matches(self, incident: Incident) -> bool:
        """Does this rule apply to ``incident``? (Empty match fields match anything.)"""
        if self.category_id is not None and self.category_id not in (
            incident.category_id,
            incident.subcategory_id,
        ):
            return False
        if self.service_id is not None and self.service_id != incident.service_id:
            return False
        ci_id = self.configuration_item_id
        if ci_id is not None and ci_id != incident.configuration_item_id:
            return False
        if self.contact_type and self.contact_type != incident.contact_type:
            return False
        if self.organisation_id is not None:
            assert self.organisation is not None
            theirs = incident.organisation
            if theirs is None or not theirs.path.startswith(self.organisation.path):
                return False
        return True


# --- major incidents --------------------------------------------------------------------------


class MajorIncidentUpdate(models.Model):
    """One entry of a major incident's communication log. Appended, never edited or deleted.

    Staff read every audience; a requester reads the ``customers`` updates of incidents they
    can see (those are also posted as public replies, ``comment``).
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="major_updates")
    audience = models.CharField(max_length=20, choices=MajorIncidentAudience.choices)
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(help_text="Markdown.")
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The public reply it became (customers updates only).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["MajorIncidentUpdate"].as_manager()
    policy_rule = Rule(
        organisation="incident__organisation",
        owners={"incident__requester": VIEW},
        owner_filter={"audience": MajorIncidentAudience.CUSTOMERS},
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_audience_display()} update on {self.incident_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise RuleViolation({"body": "Updates are appended, never edited."})
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuleViolation({"body": "Updates are appended, never deleted."})


class PostIncidentReview(models.Model):
    """The review after a major incident: what happened, why, and what we do about it.

    In the ``full`` profile a major incident closes only once its review is completed.
    """

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    summary = models.TextField(blank=True, help_text="Markdown.")
    timeline = models.TextField(blank=True, help_text="What happened when (Markdown).")
    root_cause = models.TextField(blank=True, help_text="Root cause notes (Markdown).")
    went_well = models.TextField(blank=True, help_text="What went well (Markdown).")
    went_badly = models.TextField(blank=True, help_text="What went badly (Markdown).")
    lessons = models.TextField(blank=True, help_text="Lessons learned (Markdown).")
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet["PostIncidentReview"].as_manager()
    policy_rule = Rule(organisation="incident__organisation")

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"Review of {self.incident_id}"

    @property
    def is_completed(self) -> bool:
        return self.status == ReviewStatus.COMPLETED


class ReviewAction(models.Model):
    """Something a post-incident review decided to do, with an owner and a due date."""

    review = models.ForeignKey(PostIncidentReview, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="review_actions"
    )
    due_on = models.DateField(null=True, blank=True)
    is_done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["ReviewAction"].as_manager()
    policy_rule = Rule(organisation="review__incident__organisation", owners={"owner": VIEW_CHANGE})

    class Meta:
        ordering = ["is_done", "due_on", "id"]

    def __str__(self) -> str:
        return self.description


# --- interactions -----------------------------------------------------------------------------


class InteractionQuerySet(ScopedQuerySet["Interaction"]):
    def open(self) -> InteractionQuerySet:
        return self.filter(outcome=InteractionOutcome.OPEN)


class Interaction(models.Model):
    """A contact with the service desk (a call, a chat, a walk-in, an e-mail).

    It ends resolved on first contact, linked to an incident (raised from it or existing), or
    abandoned. First-contact resolution is measured from these rows.
    """

    number_prefix: ClassVar[str] = "IMS"
    sequence_name: ClassVar[str] = "interaction"

    number = models.CharField(max_length=32, unique=True, editable=False)
    channel = models.CharField(max_length=20, choices=InteractionChannel.choices)
    caller = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="interactions")
    agent = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="handled_interactions")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="interactions"
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        help_text="The desk team that took the contact (first-contact resolution per team).",
    )
    summary = models.CharField(max_length=200)
    notes = models.TextField(blank=True, help_text="Markdown.")
    resolution = models.TextField(blank=True, help_text="How it was resolved (Markdown).")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=20, choices=InteractionOutcome.choices, default=InteractionOutcome.OPEN
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )

    objects = InteractionQuerySet.as_manager()
    policy_rule = Rule(organisation="organisation", owners={"caller": VIEW, "agent": VIEW_CHANGE})

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["outcome", "ended_at"], name="interaction_outcome_end"),
            models.Index(fields=["caller", "started_at"], name="interaction_caller"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome=InteractionOutcome.LINKED)
                | models.Q(incident__isnull=False),
                name="interaction_linked_has_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary}"

    def get_absolute_url(self) -> str:
        return reverse("interactions:interaction_detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.outcome == InteractionOutcome.OPEN
