"""Workflow guards and effects of problems (registered by name in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from steward.problems.models import Problem


def known_error_ready(problem: Problem, actor: Any) -> str | None:
    """A problem becomes a known error once its root cause and a workaround are recorded."""
    missing = [
        label
        for label, value in (
            ("a root cause", problem.root_cause),
            ("a workaround", problem.workaround),
        )
        if not value.strip()
    ]
    if missing:
        return f"A known error needs {' and '.join(missing)}; record the analysis first."
    return None


def has_fix(problem: Problem, actor: Any) -> str | None:
    """Work on a fix starts once the change that makes it is named."""
    if not problem.has_fix:
        return "Name the change that fixes the problem first."
    return None


def record_known_error(problem: Problem, **kwargs: Any) -> None:
    """Stamp when the problem became a known error (the first time only)."""
    if problem.known_error_at is None:
        problem.known_error_at = timezone.now()
        Problem.objects.filter(pk=problem.pk).update(known_error_at=problem.known_error_at)
