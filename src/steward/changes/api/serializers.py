"""API representations of changes and what hangs off them. No rules here."""

from __future__ import annotations

from rest_framework import serializers

from steward.accounts.models import Person, Team
from steward.changes.choices import (
    ApprovalPath,
    ChangeTaskState,
    ChangeType,
    Decision,
    Outcome,
)
from steward.changes.models import (
    ApprovalBoard,
    ApprovalRequest,
    CabMeeting,
    Change,
    ChangeTask,
    ChangeTemplate,
    Delegation,
    RiskAnswerOption,
    RiskQuestion,
    Vote,
)
from steward.cmdb.models import ConfigurationItem
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)
from steward.tickets.api.serializers import TicketSerializer

CHANGE_FIELDS = [
    "change_type",
    "template",
    "justification",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "affected_cis",
    "risk_score",
    "risk_class",
    "outcome",
    "review_notes",
    "plan_revision",
]


class ChangeSerializer(TicketSerializer):
    change_type = serializers.ChoiceField(
        choices=ChangeType.choices,
        required=False,
        help_text="standard needs an approved ``template`` and a planned window.",
    )
    template = serializers.PrimaryKeyRelatedField(
        queryset=ChangeTemplate.objects.all(), allow_null=True, required=False
    )
    affected_cis = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )

    class Meta(TicketSerializer.Meta):
        model = Change
        fields = [*TicketSerializer.Meta.fields, *CHANGE_FIELDS]
        read_only_fields = [
            *TicketSerializer.Meta.read_only_fields,
            "actual_start",
            "actual_end",
            "risk_score",
            "risk_class",
            "outcome",
            "review_notes",
            "plan_revision",
        ]


class VersionedSerializer(StewardSerializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 412."
    )


class ReviewSerializer(VersionedSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    review_notes = serializers.CharField(required=False, allow_blank=True, default="")


class RiskAnswersSerializer(StewardSerializer):
    answers = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        help_text="Question id -> the id of the chosen answer option, for every active question.",
    )


class RiskAnswerRowSerializer(StewardSerializer):
    question = serializers.CharField()
    answer = serializers.CharField()
    points = serializers.IntegerField()


class RiskServiceSerializer(StewardSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    criticality = serializers.CharField()
    points = serializers.IntegerField()


class RiskHistorySerializer(StewardSerializer):
    reviewed = serializers.IntegerField()
    failed = serializers.IntegerField()
    rate = serializers.FloatField()
    months = serializers.IntegerField()


class RiskThresholdsSerializer(StewardSerializer):
    moderate_from = serializers.IntegerField()
    high_from = serializers.IntegerField()


class RiskBreakdownSerializer(StewardSerializer):
    """Why the score is what it is (worked out now; ``risk_score`` on the change is the
    assessed one)."""

    score = serializers.IntegerField()
    risk_class = serializers.CharField()
    questionnaire = serializers.IntegerField()
    impact = serializers.IntegerField()
    history = serializers.IntegerField()
    answers = RiskAnswerRowSerializer(many=True)
    services = RiskServiceSerializer(many=True)
    history_detail = RiskHistorySerializer()
    thresholds = RiskThresholdsSerializer()
    unanswered = serializers.ListField(child=serializers.CharField())


class ServiceRefSerializer(StewardSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)


class IncidentRefSerializer(StewardSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()


class VoteSerializer(StewardModelSerializer):
    class Meta:
        model = Vote
        fields = ["id", "person", "on_behalf_of", "decision", "comment", "channel", "at"]
        read_only_fields = fields


class ApprovalRequestSerializer(StewardModelSerializer):
    board_name = serializers.CharField(source="board.name", read_only=True)
    votes = VoteSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "change",
            "board",
            "board_name",
            "revision",
            "rule",
            "quorum",
            "approvers",
            "state",
            "requested_at",
            "decided_at",
            "votes",
        ]
        read_only_fields = fields


class VoteInputSerializer(StewardSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    on_behalf_of = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        help_text="The approver you vote for as their delegate.",
    )
    revision = serializers.IntegerField(
        required=False, help_text="The plan revision you saw; an edited plan refuses the vote."
    )


class ChangeTaskSerializer(StewardModelSerializer):
    team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    assignee = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False
    )
    change = ScopedPrimaryKeyRelatedField(queryset=Change.objects.all())
    state = serializers.ChoiceField(choices=ChangeTaskState.choices, required=False)

    class Meta:
        model = ChangeTask
        fields = [
            "id",
            "change",
            "position",
            "title",
            "description",
            "team",
            "assignee",
            "state",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "finished_at"]


class ChangeTemplateSerializer(StewardModelSerializer):
    service = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )
    team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    tasks = serializers.JSONField(
        required=False, help_text='The ordered tasks: [{"title": ..., "description": ...}].'
    )

    class Meta:
        model = ChangeTemplate
        fields = [
            "id",
            "name",
            "description",
            "title",
            "change_description",
            "justification",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "service",
            "team",
            "tasks",
            "is_active",
            "is_approved",
            "approved_by",
            "approved_at",
            "version",
        ]
        read_only_fields = ["id", "is_approved", "approved_by", "approved_at", "version"]


class ApproveSerializer(StewardSerializer):
    approved = serializers.BooleanField(default=True)


class RiskOptionSerializer(StewardModelSerializer):
    class Meta:
        model = RiskAnswerOption
        fields = ["id", "label", "points", "position"]
        read_only_fields = ["id", "position"]


class RiskQuestionSerializer(StewardModelSerializer):
    options = RiskOptionSerializer(many=True)

    class Meta:
        model = RiskQuestion
        fields = ["id", "text", "help_text", "position", "is_active", "options"]
        read_only_fields = ["id"]


class RiskSettingsSerializer(StewardSerializer):
    moderate_from = serializers.IntegerField(min_value=0, required=False)
    high_from = serializers.IntegerField(min_value=0, required=False)
    impact_per_service = serializers.IntegerField(min_value=0, required=False)
    impact_cap = serializers.IntegerField(min_value=0, required=False)
    criticality_points = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="Points per criticality: low, medium, high, critical.",
    )
    history_months = serializers.IntegerField(min_value=1, required=False)
    history_weight = serializers.IntegerField(min_value=0, required=False)
    history_minimum = serializers.IntegerField(min_value=0, required=False)


class ApprovalBoardSerializer(StewardModelSerializer):
    members = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), many=True, required=False)
    paths = serializers.ListField(
        child=serializers.ChoiceField(choices=ApprovalPath.choices), required=False
    )

    class Meta:
        model = ApprovalBoard
        fields = ["id", "name", "kind", "rule", "quorum", "members", "paths", "is_active"]
        read_only_fields = ["id"]


class DelegationSerializer(StewardModelSerializer):
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        help_text="Whose votes are handed over (default: yours; others' for change managers).",
    )
    delegate = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())

    class Meta:
        model = Delegation
        fields = ["id", "person", "delegate", "starts_at", "ends_at", "created_at"]
        read_only_fields = ["id", "created_at"]


class CabMeetingSerializer(StewardModelSerializer):
    agenda = ScopedPrimaryKeyRelatedField(queryset=Change.objects.all(), many=True, required=False)

    class Meta:
        model = CabMeeting
        fields = ["id", "board", "starts_at", "location", "notes", "agenda", "created_at"]
        read_only_fields = ["id", "created_at"]


class AgendaSerializer(StewardSerializer):
    agenda = ScopedPrimaryKeyRelatedField(queryset=Change.objects.all(), many=True)


class AgendaRowSerializer(StewardSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    change_type = serializers.CharField()
    state = serializers.CharField()
    risk_class = serializers.CharField()
    risk_score = serializers.IntegerField(allow_null=True)
    planned_start = serializers.DateTimeField(allow_null=True)
    planned_end = serializers.DateTimeField(allow_null=True)
    affected_services = ServiceRefSerializer(many=True)


class ChangeFiguresSerializer(StewardSerializer):
    since = serializers.CharField()
    until = serializers.CharField()
    reviewed = serializers.IntegerField(help_text="Changes closed in the period with an outcome.")
    successful = serializers.IntegerField()
    successful_with_issues = serializers.IntegerField()
    failed = serializers.IntegerField()
    backed_out = serializers.IntegerField()
    success_rate = serializers.FloatField(
        allow_null=True, help_text="(successful + with issues) / reviewed."
    )
    raised = serializers.IntegerField(help_text="Changes opened in the period.")
    emergency = serializers.IntegerField()
    emergency_ratio = serializers.FloatField(allow_null=True, help_text="emergency / raised.")
