"""API representations of problems and their actions. No rules here."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from steward.core.api.serializers import StewardModelSerializer, StewardSerializer
from steward.incidents.choices import IncidentResolutionCode
from steward.problems.choices import RcaMethod
from steward.problems.models import Problem, ProblemProposal
from steward.tickets.api.serializers import TicketSerializer

PROBLEM_FIELDS = [
    "rca_method",
    "rca_data",
    "root_cause",
    "workaround",
    "fix_ticket",
    "fix_reference",
    "known_error_at",
    "is_known_error",
    "workaround_uses",
]


class ProblemSerializer(TicketSerializer):
    root_cause = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    workaround = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    is_known_error = serializers.BooleanField(read_only=True)

    class Meta(TicketSerializer.Meta):
        model = Problem
        fields = [*TicketSerializer.Meta.fields, *PROBLEM_FIELDS]
        read_only_fields = [
            *TicketSerializer.Meta.read_only_fields,
            "rca_method",
            "rca_data",
            "fix_ticket",
            "fix_reference",
            "known_error_at",
            "workaround_uses",
        ]


class VersionedSerializer(StewardSerializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 412."
    )


class AnalysisSerializer(VersionedSerializer):
    method = serializers.ChoiceField(choices=RcaMethod.choices)
    analysis = serializers.DictField(
        help_text=(
            "The method's own fields. five_whys: problem_statement, whys[]; ishikawa: effect, "
            "causes{category: []}; kepner_tregoe: what/where/when/extent {is, is_not}, "
            "possible_causes[], most_probable_cause; fault_tree: top_event, "
            "nodes[{id, label, gate, parent}]."
        )
    )
    root_cause = serializers.CharField(required=False, allow_blank=True)
    workaround = serializers.CharField(required=False, allow_blank=True)


class FixSerializer(VersionedSerializer):
    reference = serializers.CharField(
        max_length=100,
        allow_blank=True,
        help_text="The fixing change's number (linked when it is a ticket) or a reference.",
    )


class IncidentIdsSerializer(StewardSerializer):
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=500,
        help_text="Incident ids (from a search); one you cannot see answers 404.",
    )


class IncidentIdSerializer(StewardSerializer):
    incident = serializers.IntegerField(min_value=1)


class LinkedIncidentSerializer(StewardSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    state_category = serializers.CharField()


class LinkResultSerializer(StewardSerializer):
    linked = serializers.IntegerField(help_text="Links made (already linked ones are kept).")


class UnlinkResultSerializer(StewardSerializer):
    unlinked = serializers.IntegerField()


class WorkaroundResultSerializer(StewardSerializer):
    comment = serializers.IntegerField(help_text="The work note written on the incident.")
    workaround_uses = serializers.IntegerField()


class ResolveIncidentsSerializer(StewardSerializer):
    resolution = serializers.CharField()
    resolution_code = serializers.ChoiceField(
        choices=IncidentResolutionCode.choices,
        default=IncidentResolutionCode.RESOLVED_BY_CHANGE,
    )


class RefusalSerializer(StewardSerializer):
    incident = serializers.CharField()
    reason = serializers.CharField()


class ResolveOutcomeSerializer(StewardSerializer):
    resolved = serializers.ListField(child=serializers.CharField())
    refused = RefusalSerializer(many=True)

    @staticmethod
    def of(outcome: Any) -> dict[str, Any]:
        return {
            "resolved": [i.number for i in outcome.resolved],
            "refused": [{"incident": i.number, "reason": r} for i, r in outcome.refused],
        }


class ProposalIncidentSerializer(StewardSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    opened_at = serializers.DateTimeField()
    state = serializers.CharField()


class ProblemProposalSerializer(StewardModelSerializer):
    """A proposal with its evidence: what the incidents share and which you may see."""

    incidents = serializers.SerializerMethodField(
        help_text="The proposal's incidents that you may see (oldest first)."
    )
    problem_number = serializers.CharField(source="problem.number", default=None, read_only=True)

    class Meta:
        model = ProblemProposal
        fields = [
            "id",
            "title",
            "state",
            "group_key",
            "key",
            "configuration_item",
            "service",
            "category",
            "terms",
            "score",
            "incident_count",
            "window_days",
            "first_incident_at",
            "last_incident_at",
            "incidents",
            "detected_at",
            "updated_at",
            "dismissed_count",
            "decision_reason",
            "decided_by",
            "decided_at",
            "problem",
            "problem_number",
            "version",
        ]
        read_only_fields = fields

    @extend_schema_field(ProposalIncidentSerializer(many=True))
    def get_incidents(self, obj: ProblemProposal) -> list[dict[str, Any]]:
        rows = getattr(obj, "visible_incidents", [])
        return [
            {
                "id": i.pk,
                "number": i.number,
                "title": i.title,
                "opened_at": i.opened_at,
                "state": i.state,
            }
            for i in sorted(rows, key=lambda i: (i.opened_at, i.pk))
        ]


class ProposalAcceptSerializer(VersionedSerializer):
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The problem's title; the proposal's own when left out.",
    )


class ProposalDismissSerializer(VersionedSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why these incidents are no problem.")


class ProposalAcceptedSerializer(StewardSerializer):
    proposal = ProblemProposalSerializer()
    problem = serializers.IntegerField(help_text="The problem raised.")
    problem_number = serializers.CharField()
    linked = serializers.ListField(child=serializers.CharField())
    skipped = RefusalSerializer(many=True)


class DetectSerializer(StewardSerializer):
    window_days = serializers.IntegerField(required=False, min_value=1, max_value=366)
    threshold = serializers.IntegerField(required=False, min_value=2, max_value=10_000)


class DetectionResultSerializer(StewardSerializer):
    window_days = serializers.IntegerField()
    threshold = serializers.IntegerField()
    min_similarity = serializers.FloatField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    groups = serializers.IntegerField(help_text="Groups (CI or service, category) examined.")
    incidents_read = serializers.IntegerField()
    clusters = serializers.IntegerField()
    created = serializers.ListField(child=serializers.IntegerField())
    updated = serializers.ListField(child=serializers.IntegerField())
    reproposed = serializers.ListField(child=serializers.IntegerField())
    unchanged = serializers.ListField(child=serializers.IntegerField())
    still_dismissed = serializers.ListField(child=serializers.IntegerField())
