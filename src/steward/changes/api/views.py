"""API endpoints of change management.

Changes change state through ``/api/v1/tickets/{id}/transition/`` (they are tickets); their
risk, review, approvals and votes are actions of their own. Tasks, templates, the risk
questionnaire, approval boards, delegations and CAB meetings are resources;
``/change-figures/?from=&to=`` gives the success rate and emergency ratio of a period.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from steward.accounts.models import actor_of
from steward.changes import impact, services
from steward.changes.api import serializers as s
from steward.changes.filters import ChangeFilterSet
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
from steward.changes.services import approvals, cab, reports, risk, tasks, templates
from steward.changes.views.panel import caused_incidents
from steward.core import policy
from steward.core.api.viewsets import CreateMixin, StewardViewSet, UpdateMixin, etag_for
from steward.tickets.api.views import RankedWhenSearching


def _respond(viewset: Any, obj: Any) -> Response:
    payload = viewset.get_serializer(obj).data
    return Response(payload, headers={"ETag": etag_for(payload)})


class ChangeViewSet(RankedWhenSearching, CreateMixin, UpdateMixin, StewardViewSet):
    """Changes (agents and change managers write; CAB members and service owners read)."""

    queryset = Change.objects.select_related("template").prefetch_related("affected_cis")
    serializer_class = s.ChangeSerializer
    filterset_class = ChangeFilterSet
    ordering_fields = ["id", "priority", "opened_at", "updated_at", "number", "planned_start"]

    def perform_create(self, serializer: Any) -> Change:
        data = dict(serializer.validated_data)
        data.pop("requester", None)  # whoever raises a change is its requester
        actor = actor_of(self.request)
        if data.get("change_type") == "standard":
            template = data.pop("template", None)
            data.pop("change_type")
            if template is None:
                raise exceptions.ValidationError({"template": ["A standard change needs one."]})
            for name in ("planned_start", "planned_end"):
                if data.get(name) is None:
                    raise exceptions.ValidationError({name: ["A standard change is planned."]})
            return services.open_standard_change(actor=actor, template=template, **data)
        if data.get("template") is not None:
            raise exceptions.ValidationError({"template": ["Only standard changes have one."]})
        data.pop("template", None)
        return services.open_change(actor=actor, **data)

    def perform_update(self, serializer: Any) -> Change:
        data = dict(serializer.validated_data)
        for name in ("change_type", "template"):
            if name in data and data[name] != getattr(serializer.instance, name):
                raise exceptions.ValidationError({name: ["Cannot be changed."]})
            data.pop(name, None)
        return services.update_change(
            actor=actor_of(self.request),
            change=serializer.instance,
            expected_version=serializer.instance.version,
            **data,
        )

    def _change(self) -> Change:
        change: Change = self.get_object()
        return change

    @extend_schema(request=None, responses=s.RiskBreakdownSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def risk(self, request: Request, pk: str | None = None) -> Response:
        """The risk score worked out now, and why: questionnaire, impact, history."""
        return Response(risk.breakdown(self._change()).as_dict())

    @extend_schema(request=s.RiskAnswersSerializer, responses=s.RiskBreakdownSerializer)
    @risk.mapping.post
    def assess(self, request: Request, pk: str | None = None) -> Response:
        """Answer the questionnaire: the score and class are computed and stored."""
        change = self._change()
        body = s.RiskAnswersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            answers = {int(k): int(v) for k, v in body.validated_data["answers"].items()}
        except ValueError as exc:
            raise exceptions.ValidationError({"answers": ["Question ids are numbers."]}) from exc
        _, result = risk.assess_risk(actor=actor_of(request), change=change, answers=answers)
        return Response(result.as_dict())

    @extend_schema(request=s.ReviewSerializer, responses=s.ChangeSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """Record the post-implementation review."""
        change = self._change()
        body = s.ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        change = services.record_review(
            actor=actor_of(request),
            change=change,
            outcome=data["outcome"],
            review_notes=data["review_notes"],
            expected_version=data.get("version"),
        )
        return _respond(self, change)

    @extend_schema(responses=s.ApprovalRequestSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def approvals(self, request: Request, pk: str | None = None) -> Response:
        """Every approval asked of the change, newest revision first, with its votes."""
        rows = _requests().filter(change=self._change()).order_by("-revision", "board__name")
        return Response(s.ApprovalRequestSerializer(rows, many=True).data)

    @extend_schema(responses=s.ServiceRefSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def services(self, request: Request, pk: str | None = None) -> Response:
        """The business services the change affects (CMDB impact from its CIs)."""
        found = impact.affected_services(self._change().pk)
        return Response(s.ServiceRefSerializer(found, many=True).data)

    @extend_schema(responses=s.IncidentRefSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def incidents(self, request: Request, pk: str | None = None) -> Response:
        """Incidents linked to the change as "is caused by"."""
        rows = caused_incidents(self._change(), actor_of(request)).only("number", "title", "state")[
            :500
        ]
        return Response(s.IncidentRefSerializer(rows, many=True).data)


def _requests() -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.select_related("board").prefetch_related(
        "approvers", Prefetch("votes", queryset=Vote.objects.order_by("at", "id"))
    )


class ApprovalRequestViewSet(StewardViewSet):
    """Approvals asked of boards (``?change=``); approvers ``vote`` on them."""

    queryset = _requests()
    serializer_class = s.ApprovalRequestSerializer
    filterset_fields = ["change", "board", "state", "revision"]
    ordering_fields = ["id", "requested_at"]

    @extend_schema(request=s.VoteInputSerializer, responses=s.ApprovalRequestSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def vote(self, request: Request, pk: str | None = None) -> Response:
        """Approve or reject (as an approver, or as the delegate of ``on_behalf_of``)."""
        approval: ApprovalRequest = self.get_object()
        body = s.VoteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        approvals.vote(
            actor=actor_of(request),
            request=approval,
            decision=data["decision"],
            comment=data["comment"],
            on_behalf_of=data.get("on_behalf_of"),
            revision=data.get("revision"),
            channel="api",
        )
        return Response(s.ApprovalRequestSerializer(_requests().get(pk=approval.pk)).data)


class ChangeTaskViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """The tasks of changes (``?change=``), in order."""

    queryset = ChangeTask.objects.all()
    serializer_class = s.ChangeTaskSerializer
    filterset_fields = ["change", "state", "team", "assignee"]
    ordering_fields = ["id", "position"]
    ordering = ("change", "position", "id")

    def may_create(self, request: Request) -> bool:
        return True  # the service checks the change

    def perform_create(self, serializer: Any) -> ChangeTask:
        data = dict(serializer.validated_data)
        change = data.pop("change")
        data.pop("position", None)
        state = data.pop("state", None)
        task = tasks.add_task(actor=actor_of(self.request), change=change, **data)
        if state and state != task.state:
            task = tasks.update_task(actor=actor_of(self.request), task=task, state=state)
        return task

    def perform_update(self, serializer: Any) -> ChangeTask:
        data = dict(serializer.validated_data)
        if "change" in data and data.pop("change") != serializer.instance.change:
            raise exceptions.ValidationError({"change": ["A task stays with its change."]})
        return tasks.update_task(actor=actor_of(self.request), task=serializer.instance, **data)


class ChangeTemplateViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Standard-change templates (change managers write and approve)."""

    queryset = ChangeTemplate.objects.all()
    serializer_class = s.ChangeTemplateSerializer
    filterset_fields = ["is_approved", "is_active", "service"]
    ordering_fields = ["id", "name"]

    def perform_create(self, serializer: Any) -> ChangeTemplate:
        return templates.create_template(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> ChangeTemplate:
        return templates.update_template(
            actor=actor_of(self.request),
            template=serializer.instance,
            expected_version=serializer.instance.version,
            **serializer.validated_data,
        )

    @extend_schema(request=s.ApproveSerializer, responses=s.ChangeTemplateSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve the template for standard changes (``approved: false`` withdraws it)."""
        template: ChangeTemplate = self.get_object()
        body = s.ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        template = templates.approve_template(
            actor=actor_of(request), template=template, approved=body.validated_data["approved"]
        )
        return _respond(self, template)


class RiskQuestionViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """The risk questionnaire (change managers write). Options are given in order."""

    queryset = RiskQuestion.objects.prefetch_related(
        Prefetch("options", queryset=RiskAnswerOption.objects.order_by("position", "id"))
    )
    serializer_class = s.RiskQuestionSerializer
    filterset_fields = ["is_active"]
    ordering_fields = ["id", "position"]
    ordering = ("position", "id")

    def _save(self, serializer: Any, question: RiskQuestion | None) -> RiskQuestion:
        data = dict(serializer.validated_data)
        if question is not None:
            data.setdefault("text", question.text)
            data.setdefault("help_text", question.help_text)
            data.setdefault("position", question.position)
            data.setdefault("is_active", question.is_active)
            if "options" not in data:
                data["options"] = [
                    {"label": o.label, "points": o.points}
                    for o in question.options.order_by("position", "id")
                ]
        options = [(o["label"], o["points"]) for o in data.pop("options", [])]
        saved = risk.save_question(
            actor=actor_of(self.request), question=question, options=options, **data
        )
        return RiskQuestion.objects.prefetch_related("options").get(pk=saved.pk)

    def perform_create(self, serializer: Any) -> RiskQuestion:
        return self._save(serializer, None)

    def perform_update(self, serializer: Any) -> RiskQuestion:
        return self._save(serializer, serializer.instance)

    @extend_schema(request=None, responses=s.RiskSettingsSerializer)
    @action(
        detail=False,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        url_path="settings",
    )
    def risk_settings(self, request: Request) -> Response:
        """The thresholds and weights of the risk score."""
        return Response(risk.risk_settings())

    @extend_schema(request=s.RiskSettingsSerializer, responses=s.RiskSettingsSerializer)
    @risk_settings.mapping.patch
    def change_settings(self, request: Request) -> Response:
        """Change thresholds and weights (change managers)."""
        body = s.RiskSettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            saved = risk.set_risk_settings(actor=actor_of(request), **body.validated_data)
        return Response(saved)


class ApprovalBoardViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Approval boards: kind, rule, members and the approval paths they are asked on."""

    queryset = ApprovalBoard.objects.prefetch_related("members")
    serializer_class = s.ApprovalBoardSerializer
    filterset_fields = ["kind", "is_active"]
    ordering_fields = ["id", "name"]

    def perform_create(self, serializer: Any) -> ApprovalBoard:
        data = dict(serializer.validated_data)
        members = data.pop("members", [])
        return approvals.create_board(actor=actor_of(self.request), members=members, **data)

    def perform_update(self, serializer: Any) -> ApprovalBoard:
        data = dict(serializer.validated_data)
        members = data.pop("members", None)
        return approvals.update_board(
            actor=actor_of(self.request), board=serializer.instance, members=members, **data
        )


class DelegationViewSet(CreateMixin, StewardViewSet):
    """Delegations of votes: yours (given or held); change managers see all."""

    queryset = Delegation.objects.all()
    serializer_class = s.DelegationSerializer
    filterset_fields = ["person", "delegate"]
    ordering_fields = ["id", "starts_at"]

    def may_create(self, request: Request) -> bool:
        return True  # people hand over their own votes; the service checks the rest

    def perform_create(self, serializer: Any) -> Delegation:
        data = dict(serializer.validated_data)
        actor = actor_of(self.request)
        return approvals.add_delegation(
            actor=actor,
            person=data.get("person") or actor,
            delegate=data["delegate"],
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
        )

    @extend_schema(request=None, responses=s.DelegationSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the delegation now."""
        delegation: Delegation = self.get_object()
        delegation = approvals.end_delegation(actor=actor_of(request), delegation=delegation)
        return _respond(self, delegation)


class CabMeetingViewSet(CreateMixin, StewardViewSet):
    """CAB meetings; ``agenda`` lists each change with its risk and affected services."""

    queryset = CabMeeting.objects.select_related("board").prefetch_related("agenda")
    serializer_class = s.CabMeetingSerializer
    filterset_fields = ["board"]
    ordering_fields = ["id", "starts_at"]

    def perform_create(self, serializer: Any) -> CabMeeting:
        return cab.create_meeting(actor=actor_of(self.request), **serializer.validated_data)

    @extend_schema(request=None, responses=s.AgendaRowSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def agenda(self, request: Request, pk: str | None = None) -> Response:
        """The changes on the agenda with risk class and score and the services affected."""
        from steward.changes.views.cab import agenda_rows

        rows = agenda_rows(self.get_object(), actor_of(request))
        return Response(s.AgendaRowSerializer(rows, many=True).data)

    @extend_schema(request=s.AgendaSerializer, responses=s.CabMeetingSerializer)
    @agenda.mapping.put
    def set_agenda(self, request: Request, pk: str | None = None) -> Response:
        """Put exactly these changes on the agenda."""
        meeting: CabMeeting = self.get_object()
        body = s.AgendaSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        meeting = cab.set_agenda(
            actor=actor_of(request), meeting=meeting, agenda=body.validated_data["agenda"]
        )
        return _respond(self, CabMeeting.objects.prefetch_related("agenda").get(pk=meeting.pk))


def _day(request: Request, name: str) -> date:
    value = request.query_params.get(name, "")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise exceptions.ValidationError({name: ["Give a date (YYYY-MM-DD)."]}) from exc


class ChangeFiguresView(APIView):
    """Change success rate and emergency change ratio of the days ``from``..``to``."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day."),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True, description="Last day."),
        ],
        responses=s.ChangeFiguresSerializer,
    )
    def get(self, request: Request) -> Response:
        user = actor_of(request)
        policy.require_model(user, Change, "view")
        figures = reports.change_figures(
            actor=user, since=_day(request, "from"), until=_day(request, "to")
        )
        return Response(s.ChangeFiguresSerializer(figures.as_dict()).data)
