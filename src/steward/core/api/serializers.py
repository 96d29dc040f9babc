"""Serializer bases: unknown fields are an error, not silently dropped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class StrictFieldsMixin:
    """Reject keys the serializer does not know (read-only ones are tolerated and ignored)."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        elif data is not None and not isinstance(data, list):
            raise serializers.ValidationError({"": ["Expected a JSON object."]})
        return super().to_internal_value(data)  # type: ignore[misc]


class StewardModelSerializer(StrictFieldsMixin, serializers.ModelSerializer[Any]):
    """Reads a model; writes go through a service, never ``serializer.save()`` rules."""


class StewardSerializer(StrictFieldsMixin, serializers.Serializer[Any]):
    """A strict plain serializer (input of an action that is not a model's fields)."""


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField[Any]):
    """A reference by id that only resolves rows the requesting person may see.

    An id outside their scope reads as "does not exist", exactly like a missing one.
    """

    def get_queryset(self) -> Any:
        from steward.core import policy

        queryset = super().get_queryset()
        assert queryset is not None
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return policy.scope(queryset.all(), user, "view")
