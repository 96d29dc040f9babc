"""API representations of problems and their actions. No rules here."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from steward.core.api.serializers import StewardSerializer
from steward.incidents.choices import IncidentResolutionCode
from steward.problems.choices import RcaMethod
from steward.problems.models import Problem
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
