"""A change's risk: the questionnaire's points, the services it affects, and history.

``score = questionnaire + impact + history``, each explained in ``RiskBreakdown``:

- *questionnaire*: the points of the answer chosen for each active ``RiskQuestion``;
- *impact*: per business service the change affects (``changes.impact``: the CMDB's impact
  edges, in the database), ``impact_per_service`` points plus the points of the service's
  ``criticality`` attribute (low, medium, high, critical: ``criticality_points``), capped at
  ``impact_cap``;
- *history*: the failure rate (failed + backed out / reviewed) of the changes closed in the
  last ``history_months`` months that touched the same CIs or came from the same template,
  times ``history_weight`` (nothing while fewer than ``history_minimum`` were reviewed).

The class is *low* below ``moderate_from``, *high* from ``high_from``, *moderate* between.
The settings are a ``SiteSetting`` (``changes.risk``) change managers edit; every edit and
every assessment is audited.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from steward.accounts.models import Person
from steward.changes import impact
from steward.changes.choices import FAILED_OUTCOMES, RiskClass
from steward.changes.models import Change, RiskAnswer, RiskAnswerOption, RiskQuestion
from steward.core import audit, policy
from steward.core.errors import RuleViolation
from steward.core.models import SiteSetting

SETTING_KEY = "changes.risk"
DEFAULT_SETTINGS: dict[str, Any] = {
    "moderate_from": 30,
    "high_from": 60,
    "impact_per_service": 5,
    "impact_cap": 40,
    "criticality_points": {"low": 0, "medium": 5, "high": 10, "critical": 20},
    "history_months": 6,
    "history_weight": 30,
    "history_minimum": 1,
}


def risk_settings() -> dict[str, Any]:
    """The thresholds and weights in force (the stored ones over the defaults)."""
    stored = SiteSetting.objects.filter(key=SETTING_KEY).values_list("value", flat=True).first()
    merged = dict(DEFAULT_SETTINGS)
    if isinstance(stored, dict):
        merged.update({k: v for k, v in stored.items() if k in DEFAULT_SETTINGS})
    return merged


def _whole(name: str, value: Any, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleViolation({name: f"Give a whole number of at least {minimum}."})
    return value


@transaction.atomic
def set_risk_settings(*, actor: Person | None, **values: Any) -> dict[str, Any]:
    """Change thresholds and weights (change managers)."""
    from steward.changes.services import require_change_manager

    require_change_manager(actor, "set up the risk assessment")
    unknown = set(values) - set(DEFAULT_SETTINGS)
    if unknown:
        raise RuleViolation({name: "Not a risk setting." for name in sorted(unknown)})
    current = risk_settings()
    new = {**current, **values}
    for name in DEFAULT_SETTINGS:
        if name == "criticality_points":
            points = new[name]
            if not isinstance(points, dict) or set(points) != set(
                DEFAULT_SETTINGS["criticality_points"]
            ):
                raise RuleViolation({name: "Give points for low, medium, high and critical."})
            for level, value in points.items():
                _whole(f"{name}.{level}", value)
        else:
            _whole(name, new[name], minimum=1 if name == "history_months" else 0)
    if new["high_from"] <= new["moderate_from"]:
        raise RuleViolation({"high_from": "The high threshold must be above the moderate one."})
    changed = audit.diff(current, new)
    if changed:
        row, _ = SiteSetting.objects.update_or_create(
            key=SETTING_KEY, defaults={"value": new, "updated_at": timezone.now()}
        )
        audit.record(
            actor=actor,
            action="change_risk.settings_changed",
            obj=row,
            changes=changed,
            object_repr=SETTING_KEY,
        )
    return new


def classify(score: int, settings: dict[str, Any] | None = None) -> str:
    settings = settings or risk_settings()
    if score >= settings["high_from"]:
        return RiskClass.HIGH
    if score >= settings["moderate_from"]:
        return RiskClass.MODERATE
    return RiskClass.LOW


@dataclass
class RiskBreakdown:
    """Why a change's score is what it is."""

    score: int
    risk_class: str
    questionnaire: int
    impact: int
    history: int
    answers: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    history_detail: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, int] = field(default_factory=dict)
    unanswered: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def history(change: Change, settings: dict[str, Any]) -> dict[str, Any]:
    """Failure rate of comparable changes: reviewed, closed in the window, touching the same
    CIs (affected or primary) or from the same template. One aggregate query."""
    since = timezone.now() - timedelta(days=30 * settings["history_months"])
    ci_ids = list(change.affected_cis.values_list("pk", flat=True))
    if change.configuration_item_id is not None:
        ci_ids.append(change.configuration_item_id)
    same = Q(affected_cis__in=ci_ids) | Q(configuration_item_id__in=ci_ids) if ci_ids else Q()
    if change.template_id is not None:
        same = (
            same | Q(template_id=change.template_id)
            if ci_ids
            else Q(template_id=change.template_id)
        )
    if not ci_ids and change.template_id is None:
        return {"reviewed": 0, "failed": 0, "rate": 0.0, "months": settings["history_months"]}
    comparable = (
        Change.objects.filter(same, closed_at__gte=since)
        .exclude(pk=change.pk)
        .exclude(outcome="")
        .values("pk")
        .distinct()
    )
    counts = Change.objects.filter(pk__in=comparable).aggregate(
        reviewed=Count("pk"), failed=Count("pk", filter=Q(outcome__in=FAILED_OUTCOMES))
    )
    reviewed, failed = int(counts["reviewed"]), int(counts["failed"])
    return {
        "reviewed": reviewed,
        "failed": failed,
        "rate": round(failed / reviewed, 4) if reviewed else 0.0,
        "months": settings["history_months"],
    }


def breakdown(change: Change, *, settings: dict[str, Any] | None = None) -> RiskBreakdown:
    """The change's score and class from its stored answers, its impact and history now."""
    settings = settings or risk_settings()
    questions = list(RiskQuestion.objects.filter(is_active=True).order_by("position", "id"))
    chosen = {
        a.question_id: a
        for a in RiskAnswer.objects.filter(change=change).select_related("question", "option")
    }
    answers, unanswered, questionnaire = [], [], 0
    for question in questions:
        answer = chosen.get(question.pk)
        if answer is None:
            unanswered.append(question.text)
            continue
        questionnaire += answer.option.points
        answers.append(
            {
                "question": question.text,
                "answer": answer.option.label,
                "points": answer.option.points,
            }
        )
    criticality = settings["criticality_points"]
    services, impact_points = [], 0
    for service in impact.affected_services(change.pk):
        level = str((service.attributes or {}).get("criticality", "") or "")
        points = settings["impact_per_service"] + int(criticality.get(level, 0))
        impact_points += points
        services.append(
            {"id": service.pk, "name": service.name, "criticality": level, "points": points}
        )
    impact_points = min(impact_points, settings["impact_cap"])
    past = history(change, settings)
    history_points = (
        round(past["rate"] * settings["history_weight"])
        if past["reviewed"] >= settings["history_minimum"]
        else 0
    )
    score = questionnaire + impact_points + history_points
    return RiskBreakdown(
        score=score,
        risk_class=classify(score, settings),
        questionnaire=questionnaire,
        impact=impact_points,
        history=history_points,
        answers=answers,
        services=services,
        history_detail=past,
        thresholds={"moderate_from": settings["moderate_from"], "high_from": settings["high_from"]},
        unanswered=unanswered,
    )


@transaction.atomic
def assess_risk(
    *, actor: Person | None, change: Change, answers: dict[int, int]
) -> tuple[Change, RiskBreakdown]:
    """Record the answers (question id -> option id) to every active question; the score
    and class are computed and stored. Refused as a whole when an answer is missing or
    does not belong to its question."""
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if not locked.is_open:
        raise RuleViolation({"answers": "The change is no longer open."})
    questions = {q.pk: q for q in RiskQuestion.objects.filter(is_active=True)}
    options = {o.pk: o for o in RiskAnswerOption.objects.filter(question_id__in=list(questions))}
    errors: dict[str, str] = {}
    for question_id in questions:
        option_id = answers.get(question_id)
        if option_id is None:
            errors[f"answers.{question_id}"] = "Answer this question."
        elif option_id not in options or options[option_id].question_id != question_id:
            errors[f"answers.{question_id}"] = "Choose one of this question's answers."
    for question_id in set(answers) - set(questions):
        errors[f"answers.{question_id}"] = "No such question."
    if errors:
        raise RuleViolation(errors)
    for question_id, option_id in answers.items():
        RiskAnswer.objects.update_or_create(
            change=locked,
            question_id=question_id,
            defaults={"option_id": option_id, "answered_at": timezone.now()},
        )
    result = breakdown(locked)
    before = {"risk_score": locked.risk_score, "risk_class": locked.risk_class}
    locked.risk_score, locked.risk_class = result.score, result.risk_class
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["risk_score", "risk_class", "version", "updated_at"])
    audit.record(
        actor=actor,
        action="change.risk_assessed",
        obj=locked,
        changes={
            **audit.diff(before, {"risk_score": result.score, "risk_class": result.risk_class}),
            "questionnaire": result.questionnaire,
            "impact": result.impact,
            "history": result.history,
        },
        object_repr=locked.number,
    )
    return locked, result


# --- the questionnaire (change managers) ------------------------------------------------------


@transaction.atomic
def save_question(
    *,
    actor: Person | None,
    question: RiskQuestion | None = None,
    text: str,
    options: list[tuple[str, int]],
    help_text: str = "",
    position: int = 1,
    is_active: bool = True,
) -> RiskQuestion:
    """Create or change a question with its answer options (label, points), in order.

    Options keep their identity by place: the first option stays the first. An option
    already chosen by a change cannot be removed (deactivate the question instead).
    """
    from steward.changes.services import require_change_manager

    require_change_manager(actor, "edit the risk questionnaire")
    if not text.strip():
        raise RuleViolation({"text": "Write the question."})
    if len(options) < 2:
        raise RuleViolation({"options": "Give at least two answers."})
    for label, points in options:
        if not label.strip():
            raise RuleViolation({"options": "Every answer needs a label."})
        _whole("options", points)
    _whole("position", position)
    created = question is None
    row = (
        RiskQuestion()
        if question is None
        else RiskQuestion.objects.select_for_update().get(pk=question.pk)
    )
    before = {} if created else _question_snapshot(row)
    row.text, row.help_text, row.position, row.is_active = (
        text.strip(),
        help_text,
        position,
        is_active,
    )
    row.full_clean()
    row.save()
    existing = list(row.options.order_by("position", "id")) if not created else []
    for index, (label, points) in enumerate(options, start=1):
        if index <= len(existing):
            option = existing[index - 1]
            option.label, option.points, option.position = label.strip(), points, index
            option.save()
        else:
            RiskAnswerOption.objects.create(
                question=row, label=label.strip(), points=points, position=index
            )
    for option in existing[len(options) :]:
        if RiskAnswer.objects.filter(option=option).exists():
            raise RuleViolation(
                {"options": f"“{option.label}” was chosen by changes: it cannot be removed."}
            )
        option.delete()
    after = _question_snapshot(row)
    changed = audit.diff(before, after)
    if changed:
        audit.record(
            actor=actor,
            action="risk_question.created" if created else "risk_question.updated",
            obj=row,
            changes=changed,
            object_repr=row.text[:200],
        )
    return row


def _question_snapshot(question: RiskQuestion) -> dict[str, Any]:
    return {
        "text": question.text,
        "help_text": question.help_text,
        "position": question.position,
        "is_active": question.is_active,
        "options": [f"{o.label} ({o.points})" for o in question.options.order_by("position", "id")],
    }
