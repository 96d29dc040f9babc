"""The impact x urgency priority matrix: everyone reads it, administrators change it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from steward.accounts.models import Person
from steward.core import policy
from steward.core.errors import Forbidden, RuleViolation
from steward.tickets import services
from steward.tickets.choices import Impact, Priority, Urgency
from steward.tickets.models import PriorityRule


@login_required
def priority_matrix(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Person)
    if not policy.has_model_permission(user, PriorityRule, "view"):
        raise Forbidden("Only staff see the priority matrix.")
    may_change = policy.has_model_permission(user, PriorityRule, "change")
    errors: list[str] = []
    if request.method == "POST":
        if not may_change:
            raise Forbidden("Only administrators may change the priority matrix.")
        changed = 0
        current = services.priority_matrix()
        for impact in Impact.values:
            for urgency in Urgency.values:
                raw = request.POST.get(f"cell-{impact}-{urgency}", "")
                try:
                    priority = int(raw)
                except ValueError:
                    errors.append(f"Choose a priority for impact {impact} x urgency {urgency}.")
                    continue
                if priority not in Priority.values:
                    errors.append(f"{raw} is not a priority.")
                    continue
                if current[(impact, urgency)] != priority:
                    try:
                        services.set_priority_rule(
                            actor=user, impact=impact, urgency=urgency, priority=priority
                        )
                    except RuleViolation as exc:
                        errors.extend(exc.messages)
                    else:
                        changed += 1
        if not errors:
            messages.success(request, f"{changed} cells changed. Open tickets keep their priority.")
            return redirect("tickets:priority_matrix")
    matrix = services.priority_matrix()
    rows = [
        {
            "impact": impact,
            "cells": [
                {"urgency": urgency, "priority": matrix[(impact, urgency)]} for urgency in Urgency
            ],
        }
        for impact in Impact
    ]
    context = {
        "rows": rows,
        "urgencies": list(Urgency),
        "priorities": list(Priority),
        "may_change": may_change,
        "errors": errors,
    }
    return render(request, "tickets/priority_matrix.html", context)
