"""The demo's service levels: agreements whose clocks the demo incidents carry."""

from __future__ import annotations

import pytest

from steward.sla.models import Agreement, SlaClock

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_demo_incidents_clocks() -> None:
    from steward.accounts.demo import load_demo
    from steward.incidents import demo as incidents_demo
    from steward.sla import demo
    from steward.tickets import demo as tickets_demo

    load_demo(password="demo password 123")
    tickets_demo.load()
    assert demo.load().startswith("Demo service levels: 2 agreements")
    incidents_demo.load()
    assert set(Agreement.objects.values_list("kind", flat=True)) == {"sla", "ola"}
    assert SlaClock.objects.filter(agreement__code="northwind-gold").exists()
    assert demo.load() == "Demo service levels already present."
