"""``/api/v1/process-profile/``: read or switch the active process profile."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from steward.core import profiles, workflow
from steward.core.api.serializers import StewardSerializer


class ProcessProfileSerializer(StewardSerializer):
    profile = serializers.ChoiceField(choices=list(workflow.PROFILE_LABELS.items()))
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]


def _body(profile: str) -> dict[str, Any]:
    return {"profile": profile, "label": workflow.PROFILE_LABELS[profile]}


class ProcessProfileView(APIView):
    """The active process profile. Administrators switch it with PUT."""

    @extend_schema(responses=ProcessProfileSerializer)
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("core.view_sitesetting"):
            raise exceptions.PermissionDenied()
        return Response(_body(workflow.active_profile()))

    @extend_schema(request=ProcessProfileSerializer, responses=ProcessProfileSerializer)
    def put(self, request: Request) -> Response:
        if not request.user.has_perm("core.change_sitesetting"):
            raise exceptions.PermissionDenied()
        body = ProcessProfileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        switch = profiles.set_profile(actor=request.user, profile=body.validated_data["profile"])
        return Response(_body(switch.profile))
