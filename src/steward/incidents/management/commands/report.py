"""``steward report fcr --from 2026-01-01 --to 2026-01-31 [--team ID] [--json]``:
first-contact resolution of a period, computed in the database.

``steward report changes --from D --to D [--json]``: the change success rate and emergency
change ratio of a period (``changes.services.reports``)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.accounts.models import Team
from steward.incidents.services import reports


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Reports: `report fcr --from D --to D` prints first-contact resolution; "
        "`report changes --from D --to D` the change success rate and emergency ratio."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        fcr = sub.add_parser("fcr", help="First-contact resolution of a period.")
        fcr.add_argument("--from", dest="since", required=True, help="First day, YYYY-MM-DD.")
        fcr.add_argument("--to", dest="until", required=True, help="Last day (inclusive).")
        fcr.add_argument("--team", type=int, default=None, help="Only this team's (id).")
        fcr.add_argument("--json", action="store_true", help="Print JSON.")
        changes = sub.add_parser(
            "changes", help="Change success rate and emergency change ratio of a period."
        )
        changes.add_argument("--from", dest="since", required=True, help="First day, YYYY-MM-DD.")
        changes.add_argument("--to", dest="until", required=True, help="Last day (inclusive).")
        changes.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        since, until = _day(options["since"]), _day(options["until"])
        if until < since:
            raise CommandError("--to is before --from.")
        if options["report"] == "changes":
            self._changes(since, until, as_json=options["json"])
            return
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
