"""Test utilities. ``ApiResourceTests`` gives every API endpoint the same permission tests.

Subclass it once per endpoint (class name starting with ``Test``) and fill in the hooks::

    class TestPersonApi(ApiResourceTests):
        basename = "person"
        def make_object(self, organisation): ...
        def allowed_user(self, organisation): ...
        def denied_user(self, organisation): ...

It then proves, against the real URL conf, database and policy:

* anonymous requests get 401 with a problem+json body, on the list and on a detail;
* a role without permission does not see the object in the list, gets 404 on its detail,
  403 on create, and nothing changes;
* a role with permission lists it, retrieves it with an ``ETag``, and (where the endpoint
  writes) creates and updates, with a stale ``If-Match`` answered 412 and nothing changed;
* the same role, restricted to another organisation, gets 404 on the object and does not
  see it in the list (for organisation-owned resources);
* unknown filters are a 400; each declared filter case selects what it should;
* the list's query count stays within budget and does not grow with the number of rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with ``status``; returns the body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith(PROBLEM), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["type"]
    return body


class ApiResourceTests(ABC):
    """Permission, filter and query-budget tests for one API resource (see module doc)."""

    #: The router basename, e.g. ``"person"`` for ``person-list`` / ``person-detail``.
    basename: ClassVar[str]
    #: Whether rows belong to organisations (enables the other-organisation test).
    organisation_scoped: ClassVar[bool] = True
    #: Most queries one list page may take.
    list_query_budget: ClassVar[int] = 8
    #: ``(query params, predicate on the object made for the case)`` pairs; see filter tests.
    filter_cases: ClassVar[list[tuple[dict[str, str], Callable[[Any], bool]]]] = []

    # -- hooks ------------------------------------------------------------------------------

    def make_organisation(self) -> Any:
        from steward.accounts.tests.factories import make_organisation

        return make_organisation()

    @abstractmethod
    def make_object(self, organisation: Any) -> Model:
        """A new row of this resource, owned by ``organisation`` where rows have one."""

    @abstractmethod
    def allowed_user(self, organisation: Any) -> Any:
        """A person of ``organisation`` whose roles allow reading (and writing) the resource."""

    @abstractmethod
    def denied_user(self, organisation: Any) -> Any:
        """A signed-in person whose roles grant nothing on the resource."""

    def restrict_to(self, user: Any, organisation: Any) -> None:
        """Limit a staff person to serving ``organisation`` only."""
        from steward.accounts import services

        services.update_person(actor=None, person=user, serves_organisations=[organisation])

    def create_payload(self, organisation: Any) -> dict[str, Any] | None:
        return None

    def update_payload(self, obj: Any) -> dict[str, Any] | None:
        return None

    # -- helpers ----------------------------------------------------------------------------

    def list_url(self) -> str:
        return reverse(f"{self.basename}-list")

    def detail_url(self, obj: Model) -> str:
        return reverse(f"{self.basename}-detail", args=[obj.pk])

    def client_for(self, user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    @staticmethod
    def ids(response: Any) -> set[Any]:
        return {row["id"] for row in response.json()["results"]}

    @staticmethod
    def state(obj: Model) -> dict[str, Any]:
        fresh = type(obj)._default_manager.get(pk=obj.pk)
        return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}

    # -- the tests --------------------------------------------------------------------------

    @pytest.mark.django_db
    def test_anonymous_gets_401_problem(self) -> None:
        # given an object and nobody signed in
        obj = self.make_object(self.make_organisation())
        client = APIClient()
        # when / then: list and detail ask for authentication
        body = assert_problem(client.get(self.list_url()), 401)
        assert body["type"].endswith("not-authenticated")
        assert_problem(client.get(self.detail_url(obj)), 401)

    @pytest.mark.django_db
    def test_denied_role_sees_nothing_and_changes_nothing(self) -> None:
        # given an object and a person whose roles grant nothing on it
        organisation = self.make_organisation()
        obj = self.make_object(organisation)
        user = self.denied_user(organisation)
        client = self.client_for(user)
        before = self.state(obj)
        model = type(obj)
        count = model._default_manager.count()
        # when they list, fetch, create and update
        listed = client.get(self.list_url())
        detail = client.get(self.detail_url(obj))
        payload = self.create_payload(organisation)
        created = client.post(self.list_url(), payload, format="json") if payload else None
        update = self.update_payload(obj)
        updated = client.patch(self.detail_url(obj), update, format="json") if update else None
        # then the object is invisible (404, never 403) and nothing changed
        assert listed.status_code == 200
        assert obj.pk not in self.ids(listed)
        assert_problem(detail, 404)
        if created is not None:
            assert_problem(created, 403)
        if updated is not None:
            assert_problem(updated, 404)
        assert model._default_manager.count() == count
        assert self.state(obj) == before

    @pytest.mark.django_db
    def test_allowed_role_lists_retrieves_and_writes(self) -> None:
        # given an object and a person with permission
        organisation = self.make_organisation()
        obj = self.make_object(organisation)
        client = self.client_for(self.allowed_user(organisation))
        # when they list and fetch it
        listed = client.get(self.list_url())
        detail = client.get(self.detail_url(obj))
        # then they see it, with a validator
        assert listed.status_code == 200, listed.content
        assert obj.pk in self.ids(listed)
        assert detail.status_code == 200
        assert detail.json()["id"] == obj.pk
        etag = detail["ETag"]
        assert etag.startswith('"')
        assert client.get(self.detail_url(obj), HTTP_IF_NONE_MATCH=etag).status_code == 304
        payload = self.create_payload(organisation)
        if payload is not None:
            created = client.post(self.list_url(), payload, format="json")
            assert created.status_code == 201, created.content
            assert type(obj)._default_manager.filter(pk=created.json()["id"]).exists()
        update = self.update_payload(obj)
        if update is not None:
            # a write with the current validator succeeds
            done = client.patch(self.detail_url(obj), update, format="json", HTTP_IF_MATCH=etag)
            assert done.status_code == 200, done.content
            assert done["ETag"] != etag
            # the same (now stale) validator again gets 412 and changes nothing
            before = self.state(obj)
            stale = client.patch(self.detail_url(obj), update, format="json", HTTP_IF_MATCH=etag)
            body = assert_problem(stale, 412)
            assert body["type"].endswith("precondition-failed")
            assert self.state(obj) == before

    @pytest.mark.django_db
    def test_other_organisations_object_is_404(self) -> None:
        if not self.organisation_scoped:
            pytest.skip("rows of this resource belong to no organisation")
        # given a permitted person who serves organisation A only, and an object of B
        mine, theirs = self.make_organisation(), self.make_organisation()
        user = self.allowed_user(mine)
        self.restrict_to(user, mine)
        obj = self.make_object(theirs)
        client = self.client_for(user)
        # when they look for it / then it does not exist for them
        assert obj.pk not in self.ids(client.get(self.list_url()))
        assert_problem(client.get(self.detail_url(obj)), 404)
        update = self.update_payload(obj)
        if update is not None:
            before = self.state(obj)
            assert_problem(client.patch(self.detail_url(obj), update, format="json"), 404)
            assert self.state(obj) == before

    @pytest.mark.django_db
    def test_unknown_filter_and_ordering_are_400(self) -> None:
        organisation = self.make_organisation()
        client = self.client_for(self.allowed_user(organisation))
        body = assert_problem(client.get(self.list_url(), {"password__startswith": "a"}), 400)
        assert body["errors"][0]["field"] == "password__startswith"
        assert_problem(client.get(self.list_url(), {"ordering": "password"}), 400)
        assert_problem(client.get(self.list_url(), {"cursor": "not-a-cursor"}), 400)
        assert_problem(client.get(self.list_url(), {"page_size": "100000"}), 400)

    @pytest.mark.django_db
    def test_filters_select_what_they_say(self) -> None:
        if not self.filter_cases:
            pytest.skip("no filter cases declared")
        organisation = self.make_organisation()
        client = self.client_for(self.allowed_user(organisation))
        objects = [self.make_object(organisation) for _ in range(3)]
        for params, predicate in self.filter_cases:
            response = client.get(self.list_url(), {**params, "page_size": "500"})
            assert response.status_code == 200, (params, response.content)
            got = self.ids(response)
            for obj in objects:
                fresh = type(obj)._default_manager.get(pk=obj.pk)
                assert (obj.pk in got) == predicate(fresh), (params, obj)

    @pytest.mark.django_db
    def test_list_query_budget(self) -> None:
        # given a few rows, then many more
        organisation = self.make_organisation()
        user = self.allowed_user(organisation)

        def fresh_client() -> APIClient:
            # As in production, each request starts from a freshly loaded person.
            return self.client_for(type(user)._default_manager.get(pk=user.pk))

        for _ in range(3):
            self.make_object(organisation)
        with CaptureQueriesContext(connection) as few:
            assert fresh_client().get(self.list_url()).status_code == 200
        for _ in range(12):
            self.make_object(organisation)
        with CaptureQueriesContext(connection) as many:
            assert fresh_client().get(self.list_url()).status_code == 200
        # then the page costs the same number of queries, within budget (no N+1)
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
        assert len(many) <= self.list_query_budget, [q["sql"] for q in many.captured_queries]
