"""``steward report``: the reports, computed in the database.

* ``report fcr --from D --to D [--team ID] [--json]``: first-contact resolution;
* ``report kpis --from D --to D [--group-by G] [--kind K] [--format json|csv|text]``:
  the service KPIs (``governance.services.kpis``);
* ``report variants --from D --to D [--kind K] [--limit N] [--format json|text]``: the
  lifecycle variants (``governance.services.variants``);
* ``report changes --from D --to D [--json]``: the change success rate and emergency change
  ratio (``changes.services.reports``).

Commands run as the system (operators have the machine); the web and API check the right.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.accounts.models import Team
from steward.core.errors import RuleViolation
from steward.governance.services import kpi_text, kpis, variants
from steward.incidents.services import reports


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


def _period(parser: ArgumentParser) -> None:
    parser.add_argument("--from", dest="since", required=True, help="First day, YYYY-MM-DD.")
    parser.add_argument("--to", dest="until", required=True, help="Last day (inclusive).")


class Command(BaseCommand):
    help = (
        "Reports: fcr (first-contact resolution), kpis (service KPIs), variants, changes "
        "(change success rate and emergency ratio)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        fcr = sub.add_parser("fcr", help="First-contact resolution of a period.")
        _period(fcr)
        fcr.add_argument("--team", type=int, default=None, help="Only this team's (id).")
        fcr.add_argument("--json", action="store_true", help="Print JSON.")
        kpi = sub.add_parser("kpis", help="Service KPIs of a period.")
        _period(kpi)
        kpi.add_argument("--group-by", choices=kpis.GROUPS, default=None)
        kpi.add_argument("--kind", default="incident", help="Ticket kind (incident, problem).")
        kpi.add_argument("--format", choices=("json", "csv", "text"), default="text")
        var = sub.add_parser("variants", help="Lifecycle variants of the tickets opened.")
        _period(var)
        var.add_argument("--kind", default="incident", help="Ticket kind (incident, problem).")
        var.add_argument("--limit", type=int, default=variants.LIMIT, help="Variants shown.")
        var.add_argument("--format", choices=("json", "text"), default="text")
        changes = sub.add_parser(
            "changes", help="Change success rate and emergency change ratio of a period."
        )
        _period(changes)
        changes.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        since, until = _day(options["since"]), _day(options["until"])
        if until < since:
            raise CommandError("--to is before --from.")
        try:
            if options["report"] == "kpis":
                self._kpis(since, until, options)
            elif options["report"] == "variants":
                self._variants(since, until, options)
            elif options["report"] == "changes":
                self._changes(since, until, as_json=options["json"])
            else:
                self._fcr(since, until, options)
        except RuleViolation as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _kpis(self, since: date, until: date, options: dict[str, Any]) -> None:
        start, end = kpis.day_range(since, until)
        report = kpis.kpi_report(
            actor=None, since=start, until=end, kind=options["kind"], group_by=options["group_by"]
        )
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        elif options["format"] == "csv":
            self.stdout.write(kpi_text.as_csv(report), ending="")
        else:
            for line in kpi_text.as_text(report):
                self.stdout.write(line)

    def _variants(self, since: date, until: date, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        start, end = kpis.day_range(since, until)
        report = variants.variant_report(
            actor=None, since=start, until=end, kind=options["kind"], limit=options["limit"]
        )
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        share = kpi_text.rate_text(report.deviation_share)
        self.stdout.write(
            f"{report.cases} {report.kind}s opened {since} to {until}, "
            f"{report.variant_count} variants; {report.deviating_cases} ({share}) deviate "
            f"from the {report.profile!r} workflow"
        )
        for variant in report.variants:
            path = " > ".join(report.labels.get(code, code) for code in variant.states)
            self.stdout.write(
                f"{variant.count:>7} {variant.share:>6.1%} "
                f"mean {kpi_text.duration_text(variant.mean_seconds):>8} "
                f"median {kpi_text.duration_text(variant.median_seconds):>8} "
                f"{'! ' if variant.deviates else ''}{path}"
            )
        for deviation in report.deviations:
            self.stdout.write(
                f"undeclared {deviation.source} -> {deviation.target}: {deviation.count} "
                f"(e.g. {', '.join(deviation.examples)})"
            )

    def _fcr(self, since: date, until: date, options: dict[str, Any]) -> None:
        team = None
        if options["team"] is not None:
            team = Team.objects.filter(pk=options["team"]).first()
            if team is None:
                raise CommandError(f"No team {options['team']}.")
        start, end = reports.day_range(since, until)
        figures = reports.first_contact_resolution(since=start, until=end, team=team)
        if options["json"]:
            self.stdout.write(json.dumps(figures.as_dict(), indent=2))
            return

        def rate(value: float | None) -> str:
            return "-" if value is None else f"{value:.1%}"

        self.stdout.write(
            f"First-contact resolution {since} to {until}" + (f", team {team}" if team else "")
        )
        self.stdout.write(
            f"contacts:  {rate(figures.interaction_rate)} "
            f"({figures.interactions_resolved} of {figures.interactions_handled} handled "
            f"resolved on first contact; {figures.interactions_abandoned} abandoned)"
        )
        self.stdout.write(
            f"incidents: {rate(figures.incident_rate)} "
            f"({figures.incidents_resolved_by_first_team} of {figures.incidents_resolved} "
            "resolved by the first team)"
        )

    def _changes(self, since: date, until: date, *, as_json: bool) -> None:
        from steward.changes.services import reports as change_reports

        figures = change_reports.change_figures(actor=None, since=since, until=until)
        if as_json:
            self.stdout.write(json.dumps(figures.as_dict(), indent=2))
            return

        def rate(value: float | None) -> str:
            return "-" if value is None else f"{value:.1%}"

        self.stdout.write(f"Changes {since} to {until}")
        self.stdout.write(
            f"success rate:     {rate(figures.success_rate)} ({figures.successful} successful, "
            f"{figures.successful_with_issues} with issues, {figures.failed} failed, "
            f"{figures.backed_out} backed out of {figures.reviewed} closed with an outcome)"
        )
        self.stdout.write(
            f"emergency ratio:  {rate(figures.emergency_ratio)} "
            f"({figures.emergency} of {figures.raised} raised)"
        )
