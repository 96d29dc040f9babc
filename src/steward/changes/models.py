"""Change management: changes, their templates, tasks, risk, approvals and CAB meetings.

``Change`` extends ``tickets.Ticket`` (one level of multi-table inheritance, like
``problems.Problem``) with what is its own: the type (standard, normal, emergency), the
plans, the schedule, the CIs it touches, its risk, its outcome and review. Parties, the
primary service and CI, impact, urgency, priority, state and resolution are the ticket's.

A change *occupies the schedule* while its planned window is set and it is not closed
(``ChangeQuerySet.occupying``). Editing a plan or the schedule bumps ``plan_revision``:
approvals are given to one revision, and a vote on an older one counts for nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Person, Team
from steward.changes.choices import (
    ApprovalRule,
    ApprovalState,
    BoardKind,
    ChangeState,
    ChangeTaskState,
    ChangeType,
    Decision,
    Outcome,
    RiskClass,
    VoteChannel,
)
from steward.cmdb.models import ConfigurationItem
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.core.workflow import Category as StateCategory
from steward.tickets.models import Ticket

__all__ = [
    "ApprovalBoard",
    "ApprovalInvitation",
    "ApprovalRequest",
    "CabMeeting",
    "Change",
    "ChangeTask",
    "Delegation",
    "RiskAnswer",
    "RiskAnswerOption",
    "RiskQuestion",
    "Vote",
    "ChangeQuerySet",
    "ChangeState",
    "ChangeTemplate",
    "ChangeType",
    "Outcome",
    "RiskClass",
]

#: The fields whose edit is a new plan revision (approvals are for one revision).
PLAN_FIELDS: tuple[str, ...] = (
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "planned_start",
    "planned_end",
)


class ChangeTemplateQuerySet(ScopedQuerySet["ChangeTemplate"]):
    def usable(self) -> ChangeTemplateQuerySet:
        """Templates a standard change may be raised from: approved and active."""
        return self.filter(is_approved=True, is_active=True)


class ChangeTemplate(models.Model):
    """A pre-approved standard change: what it does, its plans and its ordered tasks.

    Raising a change from an approved template skips the CAB: the change goes straight to
    *scheduled*. Only a change manager approves a template; editing its plans withdraws
    the approval until a change manager gives it again.
    """

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True, help_text="When to use it (Markdown).")
    title = models.CharField(
        max_length=200, blank=True, help_text="The title of changes raised from it."
    )
    change_description = models.TextField(blank=True, help_text="Markdown.")
    justification = models.TextField(blank=True, help_text="Markdown.")
    implementation_plan = models.TextField(blank=True, help_text="Markdown.")
    backout_plan = models.TextField(blank=True, help_text="Markdown.")
    test_plan = models.TextField(blank=True, help_text="Markdown.")
    service = models.ForeignKey(
        ConfigurationItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_templates",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="change_templates"
    )
    tasks = models.JSONField(
        default=list,
        blank=True,
        help_text='The ordered task list: [{"title": ..., "description": ...}, ...].',
    )
    is_approved = models.BooleanField(default=False, editable=False)
    approved_by = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = ChangeTemplateQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("changes:template_detail", args=[self.pk])


class ChangeQuerySet(ScopedQuerySet["Change"]):
    def open(self) -> ChangeQuerySet:
        return self.filter(state_category__in=StateCategory.OPEN)

    def occupying(self) -> ChangeQuerySet:
        """Changes that occupy the schedule: a planned window, and not closed."""
        return self.filter(planned_start__isnull=False, planned_end__isnull=False).exclude(
            state_category=StateCategory.CLOSED
        )

    def overlapping(self, start: datetime, end: datetime) -> ChangeQuerySet:
        """Changes occupying the schedule somewhere in ``[start, end)``."""
        return self.occupying().filter(planned_start__lt=end, planned_end__gt=start)


class Change(Ticket):
    """A change to a service or CI (ITIL change control), as a ticket.

    *Standard* changes come from a pre-approved ``ChangeTemplate`` and skip the CAB;
    *normal* changes are assessed, approved by the boards their risk class names, scheduled,
    implemented and reviewed; *emergency* changes go to the emergency CAB straight away and
    need a retrospective review before they close. Requesters see nothing of changes.
    """

    number_prefix: ClassVar[str] = "CHG"
    sequence_name: ClassVar[str] = "change"
    takes_requester_organisation: ClassVar[bool] = False

    change_type = models.CharField(
        max_length=20, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        ChangeTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
        help_text="The standard-change template it was raised from.",
    )
    template_id: int | None
    justification = models.TextField(blank=True, help_text="Why the change is needed (Markdown).")
    implementation_plan = models.TextField(blank=True, help_text="Markdown.")
    backout_plan = models.TextField(blank=True, help_text="How to undo it (Markdown).")
    test_plan = models.TextField(blank=True, help_text="How to prove it worked (Markdown).")
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    affected_cis = models.ManyToManyField(ConfigurationItem, related_name="changes", blank=True)
    risk_score = models.PositiveIntegerField(null=True, blank=True)
    risk_class = models.CharField(max_length=20, choices=RiskClass.choices, blank=True)
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    review_notes = models.TextField(
        blank=True, help_text="The post-implementation review (Markdown)."
    )
    plan_revision = models.PositiveIntegerField(
        default=1,
        help_text="Bumped whenever a plan or the schedule changes; votes are for one revision.",
    )

    objects = ChangeQuerySet.as_manager()  # type: ignore[assignment,misc]
    # Staff only, like problems: no owner reaches a change without the change permissions.
    policy_rule = Rule(organisation="organisation")

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["planned_start", "planned_end"], name="change_planned_window"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=models.F("planned_start")),
                name="change_window_order",
            ),
        ]

    @property
    def occupies_schedule(self) -> bool:
        return (
            self.planned_start is not None
            and self.planned_end is not None
            and self.state_category != StateCategory.CLOSED
        )

    @property
    def is_standard(self) -> bool:
        return self.change_type == ChangeType.STANDARD

    @property
    def is_emergency(self) -> bool:
        return self.change_type == ChangeType.EMERGENCY

    @property
    def was_implemented(self) -> bool:
        return self.actual_start is not None


class ChangeTask(models.Model):
    """One step of a change's implementation, in order, with its own small life."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown.")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="change_tasks"
    )
    assignee = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="change_tasks"
    )
    state = models.CharField(
        max_length=20, choices=ChangeTaskState.choices, default=ChangeTaskState.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet["ChangeTask"].as_manager()
    policy_rule = Rule(organisation="change__organisation")

    class Meta:
        ordering = ["change", "position", "id"]
        indexes = [models.Index(fields=["change", "position"], name="change_task_order")]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class RiskQuestion(models.Model):
    """One question of the risk questionnaire; its answer options carry the points."""

    text = models.CharField(max_length=300)
    help_text = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    objects = ScopedQuerySet["RiskQuestion"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class RiskAnswerOption(models.Model):
    """An answer to a risk question and the points (weight) it adds to the score."""

    question = models.ForeignKey(RiskQuestion, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=200)
    points = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=1)

    objects = ScopedQuerySet["RiskAnswerOption"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["question", "position", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.points})"


class RiskAnswer(models.Model):
    """A change's answer to one risk question."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="risk_answers")
    question = models.ForeignKey(RiskQuestion, on_delete=models.PROTECT, related_name="answers")
    option = models.ForeignKey(RiskAnswerOption, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["RiskAnswer"].as_manager()
    policy_rule = Rule(organisation="change__organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["change", "question"], name="uniq_risk_answer")
        ]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.option}"


class ApprovalBoard(models.Model):
    """Who approves which changes, and how their votes decide.

    ``paths`` names the changes the board is asked about (risk classes of normal changes,
    emergencies). The service owners' board has no members of its own: its approvers are
    the owners of the services a change affects, resolved when approval is asked.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=BoardKind.choices, default=BoardKind.CAB)
    rule = models.CharField(max_length=20, choices=ApprovalRule.choices, default=ApprovalRule.ANY)
    quorum = models.PositiveIntegerField(
        null=True, blank=True, help_text="For the quorum rule: how many approvals decide."
    )
    members = models.ManyToManyField(Person, blank=True, related_name="approval_boards")
    paths = models.JSONField(
        default=list,
        blank=True,
        help_text="The approval paths it is asked on: low, moderate, high, emergency.",
    )
    is_active = models.BooleanField(default=True)

    objects = ScopedQuerySet["ApprovalBoard"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(rule=ApprovalRule.QUORUM) | Q(quorum__gte=1),
                name="approval_board_quorum",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def on_path(self, path: str) -> bool:
        return path in (self.paths or [])


class Delegation(models.Model):
    """``delegate`` votes for ``person`` in a period (no end: while ``person`` is away)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations_out")
    delegate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="delegations_in")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: for as long as the person is marked away."
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["Delegation"].as_manager()
    policy_rule = Rule(owners={"person": frozenset({"view"}), "delegate": frozenset({"view"})})

    class Meta:
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(person=models.F("delegate")), name="delegation_not_self"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="delegation_period_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delegate} for {self.person}"


class ApprovalRequest(models.Model):
    """One board's approval of one revision of a change's plan.

    ``approvers`` are the board's members when it was asked (for the service owners' board,
    the owners of the affected services then); the rule counts their votes.
    """

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="approvals")
    board = models.ForeignKey(ApprovalBoard, on_delete=models.PROTECT, related_name="requests")
    revision = models.PositiveIntegerField()
    rule = models.CharField(max_length=20, choices=ApprovalRule.choices)
    quorum = models.PositiveIntegerField(null=True, blank=True)
    approvers = models.ManyToManyField(Person, related_name="approval_requests")
    state = models.CharField(
        max_length=20, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet["ApprovalRequest"].as_manager()
    policy_rule = Rule(
        organisation="change__organisation", owners={"approvers": frozenset({"view"})}
    )

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change", "board", "revision"], name="uniq_approval_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.board} on {self.change_id} r{self.revision}"


class Vote(models.Model):
    """One approver's decision on an approval request (cast by them or their delegate)."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="votes")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="change_votes")
    on_behalf_of = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="change_votes_by_delegate"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=VoteChannel.choices, default=VoteChannel.WEB)
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["Vote"].as_manager()
    policy_rule = Rule(organisation="request__change__organisation")

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "on_behalf_of"], name="uniq_vote")
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.decision} {self.request_id}"


class ApprovalInvitation(models.Model):
    """The e-mail asking one approver to vote; its signed token is good for one use."""

    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.CASCADE, related_name="invitations"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet["ApprovalInvitation"].as_manager()
    policy_rule = Rule()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "person"], name="uniq_approval_invitation")
        ]

    def __str__(self) -> str:
        return f"{self.person} on {self.request_id}"


class CabMeeting(models.Model):
    """A meeting of a board, with the changes on its agenda."""

    board = models.ForeignKey(ApprovalBoard, on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True, help_text="Markdown.")
    agenda = models.ManyToManyField(Change, blank=True, related_name="cab_meetings")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["CabMeeting"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["-starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.board} {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("changes:meeting_detail", args=[self.pk])
