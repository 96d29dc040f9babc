"""Problems per process profile, and the demo data."""

from __future__ import annotations

import pytest

from steward.accounts.demo import load_demo
from steward.core import demo, profiles
from steward.core.errors import RuleViolation
from steward.problems import services
from steward.problems.models import Problem
from steward.problems.tests.factories import make_problem, make_problem_manager

pytestmark = pytest.mark.django_db


def test_switching_to_lite_moves_problems_into_its_states() -> None:
    manager = make_problem_manager()
    problem = make_problem()
    services.transition_problem(actor=manager, problem=problem, to="assessed")
    profiles.set_profile(actor=None, profile="lite")
    assert Problem.objects.get(pk=problem.pk).state == "new"
    moved = services.transition_problem(
        actor=manager, problem=Problem.objects.get(pk=problem.pk), to="root_cause_analysis"
    )
    assert moved.state == "root_cause_analysis"


def test_in_fits_a_problem_goes_straight_to_known_error_with_the_same_guard() -> None:
    manager = make_problem_manager()
    profiles.set_profile(actor=None, profile="fits")
    problem = make_problem()
    with pytest.raises(RuleViolation):
        services.transition_problem(actor=manager, problem=problem, to="known_error")
    services.update_problem(actor=manager, problem=problem, root_cause="x", workaround="y")
    known = services.transition_problem(
        actor=manager, problem=Problem.objects.get(pk=problem.pk), to="known_error"
    )
    assert Problem.objects.get(pk=known.pk).known_error_at is not None


def test_core_practice_has_no_problem_management() -> None:
    profiles.set_profile(actor=None, profile="core")
    with pytest.raises(RuleViolation):
        services.open_problem(actor=make_problem_manager(), title="Mail stops")
    assert not Problem.objects.exists()


def test_the_demo_has_a_problem_with_incidents_and_a_known_error() -> None:
    load_demo()
    demo.load_all()
    problems = list(Problem.objects.order_by("pk"))
    assert len(problems) == 2
    assert services.linked_incidents(problems[0]).count() >= 1
    assert problems[0].rca_method == "five_whys"
    assert problems[1].is_known_error and problems[1].workaround
    assert "already present" in demo.load_all()[-1]
