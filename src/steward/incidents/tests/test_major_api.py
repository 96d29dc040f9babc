"""The major-incident and interaction endpoints: the shared permission harness, then the
actions (declare, stand down, attach children, review moves, interaction outcomes, FCR)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.core.models import AuditEntry
from steward.core.testing import ApiResourceTests, assert_problem
from steward.incidents.models import (
    Incident,
    Interaction,
    MajorIncidentUpdate,
    PostIncidentReview,
    ReviewAction,
)
from steward.incidents.services import interactions, major
from steward.incidents.tests.factories import (
    make_assigned_incident,
    make_incident,
    make_incident_manager,
    make_interaction,
    make_major_incident,
)
from steward.tickets.models import TicketLink


def client_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestInteractionApi(ApiResourceTests):
    basename = "interaction"
    filter_cases = [
        ({"outcome": "resolved"}, lambda i: i.outcome == "resolved"),
        ({"channel": "chat"}, lambda i: i.channel == "chat"),
    ]

    def make_object(self, organisation: Any) -> Interaction:
        n = Interaction.objects.count()
        agent = make_agent()
        interaction = make_interaction(
            actor=agent,
            organisation=organisation,
            channel="chat" if n % 2 else "phone",
        )
        if n % 3 == 1:
            interaction = interactions.resolve_on_first_contact(
                actor=agent, interaction=interaction, resolution="Ok."
            )
        return interaction

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        caller = make_person(organisation=organisation)
        return {"caller": caller.pk, "channel": "walk_in", "summary": "Screen is black"}


class TestMajorIncidentUpdateApi(ApiResourceTests):
    basename = "major-incident-update"
    filter_cases = [({"audience": "customers"}, lambda u: u.audience == "customers")]

    def make_object(self, organisation: Any) -> MajorIncidentUpdate:
        n = MajorIncidentUpdate.objects.count()
        incident, manager = make_major_incident(organisation=organisation)
        return major.post_update(
            actor=manager,
            incident=incident,
            audience="customers" if n % 2 else "internal",
            body=f"Update {n}",
        )

    def allowed_user(self, organisation: Any) -> Person:
        return make_incident_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        incident, _manager = make_major_incident(organisation=organisation)
        return {"incident": incident.pk, "audience": "stakeholders", "body": "Next update 10:00"}


class TestPostIncidentReviewApi(ApiResourceTests):
    basename = "post-incident-review"
    filter_cases = [({"status": "in_review"}, lambda r: r.status == "in_review")]

    def make_object(self, organisation: Any) -> PostIncidentReview:
        n = PostIncidentReview.objects.count()
        incident, manager = make_major_incident(organisation=organisation)
        review = major.start_review(actor=manager, incident=incident, summary="S")
        major.add_review_action(actor=manager, review=review, description="Do it")
        if n % 2:
            review = major.move_review(actor=manager, review=review, to="in_review")
        return review

    def allowed_user(self, organisation: Any) -> Person:
        return make_incident_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        incident, _manager = make_major_incident(organisation=organisation)
        return {"incident": incident.pk, "summary": "Database failover failed"}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"lessons": f"Lesson {AuditEntry.objects.count()}"}


class TestReviewActionApi(ApiResourceTests):
    basename = "review-action"
    filter_cases = [({"is_done": "true"}, lambda a: a.is_done)]

    def make_object(self, organisation: Any) -> ReviewAction:
        n = ReviewAction.objects.count()
        incident, manager = make_major_incident(organisation=organisation)
        review = major.start_review(actor=manager, incident=incident)
        action = major.add_review_action(actor=manager, review=review, description=f"A{n}")
        if n % 2:
            action = major.update_review_action(actor=manager, action=action, is_done=True)
        return action

    def allowed_user(self, organisation: Any) -> Person:
        return make_incident_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": f"Edited {AuditEntry.objects.count()}"}


# --- actions ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_agent_gets_403_declaring_and_nothing_changes() -> None:
    incident, agent = make_assigned_incident()
    before = Incident.objects.get(pk=incident.pk)
    url = reverse("incident-declare-major", args=[incident.pk])
    refused = client_for(agent).post(url, {"manager": agent.pk, "reason": "Big"}, format="json")
    assert_problem(refused, 403)
    after = Incident.objects.get(pk=incident.pk)
    assert (after.is_major, after.version, after.priority) == (
        False,
        before.version,
        before.priority,
    )
    # a requester does not even see it
    outsider = make_person(organisation=make_organisation())
    assert_problem(client_for(outsider).post(url, {}, format="json"), 404)


@pytest.mark.django_db
def test_an_incident_manager_declares_and_stands_down() -> None:
    incident, _agent = make_assigned_incident()
    manager = make_incident_manager()
    client = client_for(manager)
    url = reverse("incident-declare-major", args=[incident.pk])
    assert_problem(client.post(url, {"manager": manager.pk}, format="json"), 400)
    done = client.post(url, {"manager": manager.pk, "reason": "Every ward"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["is_major"] is True and done.json()["major_manager"] == manager.pk
    down = client.post(
        reverse("incident-stand-down-major", args=[incident.pk]),
        {"reason": "One PC"},
        format="json",
    )
    assert down.status_code == 200 and down.json()["is_major"] is False


@pytest.mark.django_db
def test_bulk_attach_with_bad_children_is_a_400_and_attaches_none() -> None:
    parent, manager = make_major_incident()
    good = make_incident()
    adopted = make_incident()
    major.attach_children(actor=manager, parent=make_incident(), children=[adopted])
    client = client_for(manager)
    url = reverse("incident-attach-children", args=[parent.pk])
    body = assert_problem(
        client.post(url, {"children": [good.pk, adopted.pk, parent.pk]}, format="json"), 400
    )
    assert {error["field"] for error in body["errors"]} == {"children"}
    assert len(body["errors"]) == 2
    assert not TicketLink.objects.filter(source=parent).exists()
    assert_problem(client.post(url, {"children": [999999]}, format="json"), 400)
    ok = client.post(url, {"children": [good.pk]}, format="json")
    assert ok.status_code == 200, ok.content
    assert TicketLink.objects.filter(source=parent, target=good).exists()


@pytest.mark.django_db
def test_updates_cannot_be_edited_or_deleted_through_the_api() -> None:
    incident, manager = make_major_incident()
    update = major.post_update(actor=manager, incident=incident, audience="internal", body="A")
    client = client_for(manager)
    url = reverse("major-incident-update-detail", args=[update.pk])
    assert client.patch(url, {"body": "B"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert MajorIncidentUpdate.objects.get(pk=update.pk).body == "A"


@pytest.mark.django_db
def test_requesters_read_customers_updates_only() -> None:
    incident, manager = make_major_incident()
    internal = major.post_update(actor=manager, incident=incident, audience="internal", body="A")
    public = major.post_update(actor=manager, incident=incident, audience="customers", body="B")
    client = client_for(incident.requester)
    listed = client.get(reverse("major-incident-update-list"))
    assert {row["id"] for row in listed.json()["results"]} == {public.pk}
    assert_problem(client.get(reverse("major-incident-update-detail", args=[internal.pk])), 404)


@pytest.mark.django_db
def test_review_move_action() -> None:
    incident, manager = make_major_incident()
    review = major.start_review(actor=manager, incident=incident)
    client = client_for(manager)
    url = reverse("post-incident-review-move", args=[review.pk])
    assert client.post(url, {"status": "in_review"}, format="json").status_code == 200
    body = assert_problem(client.post(url, {"status": "completed"}, format="json"), 400)
    assert {"summary", "root_cause", "lessons"} <= {e["field"] for e in body["errors"]}
    assert PostIncidentReview.objects.get(pk=review.pk).status == "in_review"


@pytest.mark.django_db
def test_interaction_outcome_actions() -> None:
    agent = make_agent()
    client = client_for(agent)
    call = make_interaction(actor=agent, channel="walk_in")
    assert_problem(
        client.post(reverse("interaction-resolve", args=[call.pk]), {}, format="json"), 400
    )
    raised = client.post(
        reverse("interaction-raise-incident", args=[call.pk]),
        {"title": "Dock broken", "impact": 2},
        format="json",
    )
    assert raised.status_code == 200, raised.content
    incident = Incident.objects.get(pk=raised.json()["incident"])
    assert (incident.contact_type, incident.title, incident.impact) == ("walk_in", "Dock broken", 2)
    again = client.post(reverse("interaction-abandon", args=[call.pk]), {}, format="json")
    assert_problem(again, 400)
    other = make_interaction(actor=agent)
    linked = client.post(
        reverse("interaction-link", args=[other.pk]), {"incident": incident.pk}, format="json"
    )
    assert linked.json()["outcome"] == "linked"
    # a requester sees their own contact, but ends none, and never sees others'
    caller = other.caller
    mine = client_for(caller).get(reverse("interaction-detail", args=[other.pk]))
    assert mine.status_code == 200
    assert_problem(client_for(caller).get(reverse("interaction-detail", args=[call.pk])), 404)
    fresh = make_interaction(actor=agent, caller=caller)
    refused = client_for(caller).post(
        reverse("interaction-resolve", args=[fresh.pk]), {"resolution": "x"}, format="json"
    )
    assert_problem(refused, 403)
    assert Interaction.objects.get(pk=fresh.pk).is_open


@pytest.mark.django_db
def test_first_contact_resolution_endpoint() -> None:
    agent = make_agent()
    for resolved in (True, True, False):
        call = make_interaction(actor=agent)
        if resolved:
            interactions.resolve_on_first_contact(actor=agent, interaction=call, resolution="Ok")
        else:
            interactions.raise_incident_from_interaction(actor=agent, interaction=call)
    url = reverse("first-contact-resolution")
    today = timezone.localdate().isoformat()
    response = client_for(agent).get(url, {"since": today, "until": today})
    assert response.status_code == 200, response.content
    figures = response.json()
    assert figures["interactions_resolved_on_first_contact"] == 2
    assert figures["interaction_rate"] == pytest.approx(2 / 3)
    assert_problem(client_for(agent).get(url, {"since": today}), 400)
    assert_problem(client_for(agent).get(url, {"since": today, "until": "2000-01-01"}), 400)
    assert_problem(client_for(make_person()).get(url, {"since": today, "until": today}), 403)
    assert_problem(APIClient().get(url), 401)
