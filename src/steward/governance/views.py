"""The governance pages: service KPIs and lifecycle variants (read-only reports)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from steward.accounts.models import actor_of
from steward.core.errors import NotFound, RuleViolation
from steward.governance import charts
from steward.governance.forms import KpiForm, PeriodForm
from steward.governance.models import VIEW_KPIS
from steward.governance.services import kpi_text, kpis, variants


def _require(request: HttpRequest) -> Any:
    user = actor_of(request)
    if not user.has_perm(VIEW_KPIS):
        raise NotFound("page not found")
    return user


def _form(request: HttpRequest, form_class: type[PeriodForm]) -> PeriodForm:
    today = timezone.localdate()
    data = request.GET if "since" in request.GET else None
    initial = {"since": today - timedelta(days=29), "until": today, "kind": "incident"}
    return form_class(data if data is not None else initial)


def _display(row: kpis.KpiRow) -> dict[str, Any]:
    return {
        "row": row,
        "mean": kpi_text.duration_text(row.mean_resolve_seconds),
        "median": kpi_text.duration_text(row.median_resolve_seconds),
        "fcr": kpi_text.rate_text(row.first_contact_rate),
        "reassignment": kpi_text.rate_text(row.reassignment_rate),
        "reopen": kpi_text.rate_text(row.reopen_rate),
        "sla": kpi_text.rate_text(row.sla_attainment),
        "change_success": kpi_text.rate_text(row.change_success_rate),
        "spread": ", ".join(f"{n}: {count}" for n, count in row.hand_offs.items()),
    }


@login_required
def kpi_report(request: HttpRequest) -> HttpResponse:
    user = _require(request)
    form = _form(request, KpiForm)
    context: dict[str, Any] = {"form": form, "report": None}
    if form.is_valid():
        data = form.cleaned_data
        since, until = kpis.day_range(data["since"], data["until"])
        try:
            report = kpis.kpi_report(
                actor=user,
                since=since,
                until=until,
                kind=data["kind"],
                group_by=data["group_by"] or None,
            )
        except RuleViolation as exc:
            form.add_error("group_by", " ".join(exc.messages))
        else:
            rows = [*report.rows, report.total]
            context.update(
                report=report,
                rows=[_display(row) for row in rows],
                backlog=charts.line([(p.at, p.total) for p in report.backlog]),
                resolve_bars=charts.bars(
                    [
                        (
                            row.label,
                            row.median_resolve_seconds or 0,
                            kpi_text.duration_text(row.median_resolve_seconds),
                        )
                        for row in rows
                    ]
                ),
                sla_bars=charts.bars(
                    [
                        (row.label, row.sla_attainment or 0, kpi_text.rate_text(row.sla_attainment))
                        for row in rows
                    ],
                    scale=1.0,
                ),
                service_bars=charts.bars(
                    [(t.label, t.count, str(t.count)) for t in report.per_service]
                ),
                ci_bars=charts.bars([(t.label, t.count, str(t.count)) for t in report.per_ci]),
                contact_rate=kpi_text.rate_text(report.contact_rate),
            )
    return render(
        request, "governance/kpi_report.html", context, status=200 if form.is_valid() else 400
    )


@login_required
def variant_report(request: HttpRequest) -> HttpResponse:
    user = _require(request)
    form = _form(request, PeriodForm)
    context: dict[str, Any] = {"form": form, "report": None}
    if form.is_valid():
        data = form.cleaned_data
        since, until = kpis.day_range(data["since"], data["until"])
        report = variants.variant_report(actor=user, since=since, until=until, kind=data["kind"])
        context.update(
            report=report,
            rows=[
                {
                    "path": [report.labels.get(code, code) for code in v.states],
                    "variant": v,
                    "mean": kpi_text.duration_text(v.mean_seconds),
                    "median": kpi_text.duration_text(v.median_seconds),
                }
                for v in report.variants
            ],
            deviation_share=kpi_text.rate_text(report.deviation_share),
            share_bars=charts.bars(
                [
                    (f"#{i + 1}", v.share, kpi_text.rate_text(v.share))
                    for i, v in enumerate(report.variants)
                ],
                scale=1.0,
            ),
            export_query=request.GET.urlencode(),
        )
    return render(
        request, "governance/variants.html", context, status=200 if form.is_valid() else 400
    )
