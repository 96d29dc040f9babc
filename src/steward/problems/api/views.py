"""API endpoints for problems and the known-error database.

Problems change state through ``/api/v1/tickets/{id}/transition/`` (they are tickets); the
analysis, the fix, linked incidents, workarounds and resolving the linked incidents are
actions of their own. ``?is_known_error=true&q=...`` searches the known-error database.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.api.viewsets import CreateMixin, StewardViewSet, UpdateMixin, etag_for
from steward.incidents.models import Incident
from steward.problems import services
from steward.problems.api import serializers as s
from steward.problems.filters import ProblemFilterSet, ProblemProposalFilterSet
from steward.problems.models import Problem, ProblemProposal
from steward.problems.services import proposals
from steward.tickets.api.views import RankedWhenSearching


class ProblemViewSet(RankedWhenSearching, CreateMixin, UpdateMixin, StewardViewSet):
    """Problems (problem managers write; agents read, link incidents, apply workarounds)."""

    queryset = Problem.objects.all()
    serializer_class = s.ProblemSerializer
    filterset_class = ProblemFilterSet
    ordering_fields = ["id", "priority", "opened_at", "updated_at", "number", "known_error_at"]

    def perform_create(self, serializer: Any) -> Problem:
        data = dict(serializer.validated_data)
        data.pop("requester", None)  # whoever raises a problem is its requester
        return services.open_problem(actor=actor_of(self.request), **data)

    def perform_update(self, serializer: Any) -> Problem:
        return services.update_problem(
            actor=actor_of(self.request),
            problem=serializer.instance,
            expected_version=serializer.instance.version,
            **serializer.validated_data,
        )

    def _respond(self, problem: Problem) -> Response:
        payload = self.get_serializer(problem).data
        return Response(payload, headers={"ETag": etag_for(payload)})

    def _problem(self) -> Problem:
        problem: Problem = self.get_object()
        return problem

    @extend_schema(request=s.AnalysisSerializer, responses=s.ProblemSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def analysis(self, request: Request, pk: str | None = None) -> Response:
        """Record the root-cause analysis in the method's own fields (checked per method)."""
        problem = self._problem()
        body = s.AnalysisSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        problem = services.record_analysis(
            actor=actor_of(request),
            problem=problem,
            method=data["method"],
            data=data["analysis"],
            root_cause=data.get("root_cause"),
            workaround=data.get("workaround"),
            expected_version=data.get("version"),
        )
        return self._respond(problem)

    @extend_schema(request=s.FixSerializer, responses=s.ProblemSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def fix(self, request: Request, pk: str | None = None) -> Response:
        """Name the change that removes the cause (a ticket number or a reference)."""
        problem = self._problem()
        body = s.FixSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        problem = services.set_fix(
            actor=actor_of(request),
            problem=problem,
            reference=body.validated_data["reference"],
            expected_version=body.validated_data.get("version"),
        )
        return self._respond(problem)

    @extend_schema(responses=s.LinkedIncidentSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def incidents(self, request: Request, pk: str | None = None) -> Response:
        """The incidents linked to the problem that you may see."""
        problem = self._problem()
        rows = (
            services.linked_incidents(problem, actor_of(request))
            .only("number", "title", "state", "state_category")
            .order_by("pk")
        )
        return Response(s.LinkedIncidentSerializer(rows, many=True).data)

    @extend_schema(request=s.IncidentIdsSerializer, responses=s.LinkResultSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="link-incidents")
    def link_incidents(self, request: Request, pk: str | None = None) -> Response:
        """Link incidents (ids from a search) to the problem; all or nothing."""
        problem = self._problem()
        body = s.IncidentIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = actor_of(request)
        incidents = services.get_incidents_for(actor, ids=body.validated_data["incidents"])
        links = services.link_incidents(actor=actor, problem=problem, incidents=incidents)
        return Response({"linked": len(links)})

    @extend_schema(request=s.IncidentIdsSerializer, responses=s.UnlinkResultSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="unlink-incidents")
    def unlink_incidents(self, request: Request, pk: str | None = None) -> Response:
        """Unlink incidents from the problem."""
        problem = self._problem()
        body = s.IncidentIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = actor_of(request)
        incidents = services.get_incidents_for(actor, ids=body.validated_data["incidents"])
        removed = services.unlink_incidents(actor=actor, problem=problem, incidents=incidents)
        return Response({"unlinked": removed})

    @extend_schema(request=s.IncidentIdSerializer, responses=s.WorkaroundResultSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="apply-workaround")
    def apply_workaround(self, request: Request, pk: str | None = None) -> Response:
        """Apply the known error's workaround to an incident (a work note, counted)."""
        problem = self._problem()
        body = s.IncidentIdSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = actor_of(request)
        incident = services.get_incidents_for(actor, ids=[body.validated_data["incident"]])[0]
        note = services.apply_workaround(actor=actor, problem=problem, incident=incident)
        uses = Problem.objects.values_list("workaround_uses", flat=True).get(pk=problem.pk)
        return Response({"comment": note.pk, "workaround_uses": uses})

    @extend_schema(request=s.ResolveIncidentsSerializer, responses=s.ResolveOutcomeSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="resolve-incidents")
    def resolve_incidents(self, request: Request, pk: str | None = None) -> Response:
        """Resolve the open linked incidents together; refusals are reported, not fatal."""
        problem = self._problem()
        policy.require(actor_of(request), "change", problem)
        body = s.ResolveIncidentsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = services.resolve_linked_incidents(
            actor=actor_of(request), problem=problem, **body.validated_data
        )
        return Response(s.ResolveOutcomeSerializer.of(outcome))


def with_visible_incidents(queryset: Any, user: Any) -> Any:
    """Proposals with the incidents ``user`` may see prefetched (one query for a page)."""
    visible = Incident.objects.visible_to(user).only("number", "title", "opened_at", "state")
    return queryset.select_related("problem").prefetch_related(
        Prefetch("incidents", queryset=visible, to_attr="visible_incidents")
    )


class ProblemProposalViewSet(StewardViewSet):
    """Problems proposed by trend detection; problem managers accept or dismiss them."""

    queryset = ProblemProposal.objects.all()
    serializer_class = s.ProblemProposalSerializer
    filterset_class = ProblemProposalFilterSet
    ordering_fields = ["id", "incident_count", "score", "updated_at", "detected_at"]

    def get_queryset(self) -> Any:
        return with_visible_incidents(super().get_queryset(), self.request.user)

    def _respond(self, proposal: ProblemProposal) -> Response:
        fresh = self.get_queryset().get(pk=proposal.pk)
        payload = self.get_serializer(fresh).data
        return Response(payload, headers={"ETag": etag_for(payload)})

    @extend_schema(request=s.ProposalAcceptSerializer, responses=s.ProposalAcceptedSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Raise a problem from the proposal with its incidents linked (problem managers)."""
        proposal = self.get_object()
        body = s.ProposalAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        accepted = proposals.accept_proposal(
            actor=actor_of(request),
            proposal=proposal,
            title=body.validated_data.get("title", ""),
            expected_version=body.validated_data.get("version"),
        )
        fresh = self.get_queryset().get(pk=proposal.pk)
        return Response(
            {
                "proposal": self.get_serializer(fresh).data,
                "problem": accepted.problem.pk,
                "problem_number": accepted.problem.number,
                "linked": [i.number for i in accepted.linked],
                "skipped": [{"incident": i.number, "reason": r} for i, r in accepted.skipped],
            },
            status=201,
        )

    @extend_schema(request=s.ProposalDismissSerializer, responses=s.ProblemProposalSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        """Dismiss the proposal with a reason; it returns only if its cluster grows."""
        proposal = self.get_object()
        body = s.ProposalDismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dismissed = proposals.dismiss_proposal(
            actor=actor_of(request),
            proposal=proposal,
            reason=body.validated_data["reason"],
            expected_version=body.validated_data.get("version"),
        )
        return self._respond(dismissed)

    @extend_schema(request=s.DetectSerializer, responses=s.DetectionResultSerializer)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def detect(self, request: Request) -> Response:
        """Run trend detection now (what the hourly schedule does); problem managers."""
        body = s.DetectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = proposals.detect_problems(actor=actor_of(request), **body.validated_data)
        return Response(outcome.as_dict())
