"""Fixtures of the SLA tests: a clock that tests move by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.utils import timezone


class Clock:
    """The time ``timezone.now()`` and new audit entries see; ``advance`` moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Time stands still at Monday 2026-11-23 10:00 UTC until the test moves it."""
    clock = Clock(datetime.fromisoformat("2026-11-23T10:00:00+00:00"))
    original = timezone.now
    monkeypatch.setattr(timezone, "now", clock)
    patched = {
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.default is original
    }
    for field in patched:
        field.default = clock
        field.__dict__.pop("_get_default", None)  # Django caches the default's callable
    try:
        yield clock
    finally:
        for field in patched:
            field.default = original
            field.__dict__.pop("_get_default", None)
