"""The risk score: questionnaire points, CMDB impact (services and their criticality, found
by the recursive impact query), history (failure rate of comparable changes), thresholds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from steward.changes import impact
from steward.changes.models import Change
from steward.changes.services import risk
from steward.changes.tests.factories import make_change, make_change_manager, make_question
from steward.cmdb.choices import ImpactDirection
from steward.cmdb.tests.factories import (
    make_ci,
    make_relationship,
    make_relationship_type,
    make_service,
)
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _runs_on() -> Any:
    return make_relationship_type(impact=ImpactDirection.TO_SOURCE)


def test_impact_reaches_services_through_the_graph_for_many_changes_in_one_query(
    django_assert_num_queries: Any,
) -> None:
    runs_on = _runs_on()
    payroll, mail = make_service(name="Payroll"), make_service(name="Mail")
    app, host = make_ci(name="app"), make_ci(name="host")
    make_relationship(source=payroll, target=app, type=runs_on)
    make_relationship(source=app, target=host, type=runs_on)
    make_relationship(source=mail, target=host, type=runs_on)
    first = make_change(affected_cis=[host])
    second = make_change(affected_cis=[app])
    third = make_change(service=mail)
    with django_assert_num_queries(1):
        found = impact.service_ids_by_change([first.pk, second.pk, third.pk])
    assert found == {
        first.pk: {payroll.pk, mail.pk},
        second.pk: {payroll.pk},
        third.pk: {mail.pk},
    }


def test_the_breakdown_adds_questionnaire_impact_and_history() -> None:
    question = make_question(points=15)
    runs_on = _runs_on()
    service = make_service(name="Payroll")
    service.attributes = {"criticality": "critical"}
    service.save(update_fields=["attributes"])
    server = make_ci(name="srv")
    make_relationship(source=service, target=server, type=runs_on)
    # history: two reviewed changes on the same CI, one backed out
    for outcome in ("successful", "backed_out"):
        past = make_change(affected_cis=[server])
        Change.objects.filter(pk=past.pk).update(
            outcome=outcome, closed_at=timezone.now() - timedelta(days=10), state="closed"
        )
    old = make_change(affected_cis=[server])  # outside the window: not counted
    Change.objects.filter(pk=old.pk).update(
        outcome="failed", closed_at=timezone.now() - timedelta(days=400)
    )
    change = make_change(affected_cis=[server])
    yes = question.options.get(label="Yes")
    change, result = risk.assess_risk(actor=None, change=change, answers={question.pk: yes.pk})
    assert result.questionnaire == 15
    assert result.impact == 5 + 20  # per service + critical
    assert result.history_detail == {"reviewed": 2, "failed": 1, "rate": 0.5, "months": 6}
    assert result.history == 15  # 0.5 x 30
    assert (result.score, result.risk_class) == (55, "moderate")
    assert (change.risk_score, change.risk_class) == (55, "moderate")
    entry = AuditEntry.objects.get(action="change.risk_assessed")
    assert entry.changes["impact"] == 25


def test_thresholds_are_configurable_and_checked() -> None:
    manager = make_change_manager()
    assert risk.classify(35) == "moderate"
    risk.set_risk_settings(actor=manager, moderate_from=40, high_from=50)
    assert risk.classify(35) == "low" and risk.classify(50) == "high"
    with pytest.raises(RuleViolation):
        risk.set_risk_settings(actor=manager, high_from=10)
    with pytest.raises(RuleViolation):
        risk.set_risk_settings(actor=manager, criticality_points={"low": 1})
    from steward.accounts.tests.factories import make_agent

    with pytest.raises(Forbidden):
        risk.set_risk_settings(actor=make_agent(), high_from=90)
    assert risk.risk_settings()["high_from"] == 50


def test_every_active_question_must_be_answered_with_its_own_options() -> None:
    first, second = make_question(), make_question()
    change = make_change()
    with pytest.raises(RuleViolation) as caught:
        risk.assess_risk(
            actor=None,
            change=change,
            answers={first.pk: first.options.first().pk},
        )
    assert f"answers.{second.pk}" in caught.value.message_dict
    wrong = {first.pk: second.options.first().pk, second.pk: second.options.first().pk}
    with pytest.raises(RuleViolation):
        risk.assess_risk(actor=None, change=change, answers=wrong)
    assert not change.risk_answers.exists()


def test_an_answered_option_cannot_be_removed() -> None:
    question = make_question()
    change = make_change()
    yes = question.options.get(label="Yes")
    risk.assess_risk(actor=None, change=change, answers={question.pk: yes.pk})
    with pytest.raises(RuleViolation):
        risk.save_question(actor=None, question=question, text=question.text, options=[("No", 0)])
    # relabelling in place keeps the chosen option (identity by place)
    risk.save_question(
        actor=None,
        question=question,
        text=question.text,
        options=[("No", 0), ("Yes", 5), ("Unsure", 3)],
    )
    assert question.options.count() == 3
