"""Incidents on the shared ticket page: their own workflow and fields."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_assigned_incident
from steward.tickets import services

pytestmark = pytest.mark.django_db


def test_the_ticket_page_runs_the_incident_workflow_with_its_fields() -> None:
    incident, agent = make_assigned_incident()
    services.transition_ticket(actor=agent, ticket=incident, to="in_progress")
    client = Client()
    client.force_login(agent)
    page = client.get(incident.get_absolute_url())
    assert "on_hold" in {t.target for t in page.context["transitions"]}
    labels = [label for label, _value in page.context["kind_facts"]]
    assert "Contact type" in labels and "Reopen count" in labels
    url = reverse("tickets:ticket_transition", args=[incident.number, "on_hold"])
    form = client.get(url).context["form"]
    assert "hold_reason" in form.fields
    refused = client.post(url, {"version": incident.version + 1})
    assert "hold_reason" in refused.context["form"].errors
    client.post(url, {"version": incident.version + 1, "hold_reason": "awaiting_vendor"})
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.state, incident.hold_reason) == ("on_hold", "awaiting_vendor")
