"""``steward changes conflicts NUMBER``."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.changes.tests.factories import make_change
from steward.changes.tests.schedule_factories import Shop, at, planned

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("changes", *args, stdout=out)
    except SystemExit as exc:
        return out.getvalue(), int(exc.code or 0)
    return out.getvalue(), 0


def test_conflicts_are_listed_with_their_paths_and_a_blocking_exit_code() -> None:
    shop = Shop()
    related = planned(shop.app_c, start=1, end=3)
    mine = planned(shop.app_a, start=2, end=4)
    text, code = run("conflicts", mine.number)
    assert code == 0
    assert f"{mine.number}: 1 conflict(s), 0 blocking" in text
    assert related.number in text
    assert "payroll-app -runs on-> srv-01 <-runs on- hr-app" in text
    blocker = planned(shop.app_a, start=0, end=5)
    out, code = run("conflicts", mine.number, "--json")
    assert code == 1
    body = json.loads(out)
    assert body["blocking"] == 1
    assert {c["change_number"] for c in body["conflicts"]} == {related.number, blocker.number}
    clear, code = run(
        "conflicts", mine.number, "--start", at(10).isoformat(), "--end", at(11).isoformat()
    )
    assert code == 0 and "0 conflict(s)" in clear


def test_bad_input_is_a_clear_error() -> None:
    mine = make_change()
    with pytest.raises(CommandError, match="no planned period"):
        run("conflicts", mine.number)
    with pytest.raises(CommandError, match="No change"):
        run("conflicts", "CHG9999999")
    with pytest.raises(CommandError, match="zone"):
        run("conflicts", mine.number, "--start", "2031-03-01T10:00", "--end", "2031-03-01T11:00")
    with pytest.raises(CommandError, match="hops"):
        run(
            "conflicts",
            mine.number,
            "--start",
            at(1).isoformat(),
            "--end",
            at(2).isoformat(),
            "--hops",
            "9",
        )
