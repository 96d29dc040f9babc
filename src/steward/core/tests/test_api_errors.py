"""API errors are RFC 9457 problems, all of one shape, and a refused write changes nothing.

``accounts/tests/test_api.py`` checks each error's specific detail (which field, which
message); here every kind of refusal is put through the same complete shape check, as a
write where one makes sense, with the database compared before and after. Then the OpenAPI
schema is checked against the URL conf, and the interactive docs for vendored assets.
"""

from __future__ import annotations

import re
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from steward.accounts import services
from steward.accounts.models import ApiToken, Organisation, Person, Role, Team
from steward.accounts.tests.factories import make_admin, make_person
from steward.core.models import AuditEntry
from steward.core.testing import PROBLEM, assert_problem

# -- one table of refusals ------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A request the API must refuse: how to send it, and the problem it must answer."""

    name: str
    send: Callable[[APIClient, str], Any]  # (client signed in with the admin's token, url)
    status: int
    kind: str
    field: str | None = None  # the field an "errors" entry must name, for validation errors


def new_person() -> dict[str, Any]:
    return {"email": "new.person@example.test", "full_name": "New Person"}


def post_raw(body: str, content_type: str = "application/json") -> Callable[..., Any]:
    return lambda client, url: client.generic("POST", url, body, content_type=content_type)


def get_with(params: dict[str, str]) -> Callable[..., Any]:
    return lambda client, url: client.get(url, params)


REFUSALS = [
    Refusal("malformed JSON", post_raw('{"email": "a@example.test",'), 400, "malformed-request"),
    Refusal("JSON that is not an object", post_raw('"just a string"'), 400, "validation-error"),
    Refusal(
        "unknown field",
        lambda c, url: c.post(url, {**new_person(), "is_superuser": True}, format="json"),
        400,
        "validation-error",
        field="is_superuser",
    ),
    Refusal(
        "oversize body",
        lambda c, url: c.post(url, {**new_person(), "job_title": "x" * 4096}, format="json"),
        413,
        "payload-too-large",
    ),
    Refusal(
        "plain-text body",
        post_raw("email=a@example.test", "text/plain"),
        415,
        "unsupported-media-type",
    ),
    *[
        Refusal(
            f"cursor {name}",
            get_with({"cursor": cursor}),
            400,
            "validation-error",
            field="cursor",
        )
        for name, cursor in [
            ("that is not base64", "not a cursor!"),
            ("of unknown keys", b64encode(b"not-a-cursor").decode()),
            ("with a forged position", b64encode(b"p=abc").decode()),
            ("with a negative offset", b64encode(b"o=-1&p=3").decode()),
        ]
    ],
    Refusal(
        "filter not on the allowlist",
        get_with({"password__startswith": "pbkdf2"}),
        400,
        "validation-error",
        field="password__startswith",
    ),
    Refusal(
        "ordering not on the allowlist",
        get_with({"ordering": "-password"}),
        400,
        "validation-error",
    ),
    Refusal(
        "page size out of range",
        get_with({"page_size": "0"}),
        400,
        "validation-error",
        field="page_size",
    ),
    Refusal(
        "method not allowed",
        lambda c, url: c.delete(url),
        405,
        "method-not-allowed",
    ),
]


def database_state() -> dict[str, Any]:
    """Everything a refused write could have touched."""
    return {
        "people": sorted(Person.objects.values_list("id", "email", "full_name", "job_title")),
        "organisations": Organisation.objects.count(),
        "teams": Team.objects.count(),
        "roles": sorted(Role.objects.values_list("code", "description")),
        "tokens": sorted(ApiToken.objects.values_list("id", "revoked_at", "expires_at")),
        "audit": AuditEntry.objects.count(),
    }


def assert_complete_problem(response: Any, status: int, kind: str, path: str) -> dict[str, Any]:
    """Every member RFC 9457 names, plus our request id, consistent with the headers."""
    body = assert_problem(response, status)
    assert body["type"] == f"urn:steward:problem:{kind}"
    assert isinstance(body["title"], str) and body["title"].endswith(".")
    assert body["detail"]
    assert body["instance"] == path
    assert body["request_id"] == response["X-Request-ID"]
    assert set(body) <= {"type", "title", "status", "detail", "instance", "request_id", "errors"}
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: r.name)
def test_refusals_are_complete_problems_and_change_nothing(refusal: Refusal, settings: Any) -> None:
    # given an administrator using a valid token, and the bodies this server accepts
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    admin = make_admin()
    _, secret = services.create_api_token(actor=None, person=admin, name="script")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = reverse("person-list")
    before = database_state()
    # when the request is refused
    response = refusal.send(client, url)
    # then the answer is a complete problem, and nothing changed
    body = assert_complete_problem(response, refusal.status, refusal.kind, url)
    if refusal.kind == "validation-error":
        assert body["errors"], body
        assert all(set(error) == {"field", "message", "code"} for error in body["errors"])
    if refusal.field is not None:
        assert refusal.field in [error["field"] for error in body["errors"]], body
    assert database_state() == before


# -- authentication refusals ----------------------------------------------------------------


def token_for(person: Person, *, state: str) -> str:
    """A token secret that is ``valid``, ``expired`` or ``revoked``."""
    token, secret = services.create_api_token(actor=None, person=person, name=state)
    if state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(1))
    elif state == "revoked":
        services.revoke_api_token(actor=None, token=token)
    return secret


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("authorization", "kind", "detail"),
    [
        (None, "not-authenticated", "Authentication credentials were not provided."),
        ("expired", "authentication-failed", "This token has expired."),
        ("revoked", "authentication-failed", "This token has been revoked."),
        ("Bearer stw_0123456789ab_made-up", "authentication-failed", "Invalid token."),
        ("Bearer two parts", "authentication-failed", "Malformed Authorization header."),
    ],
)
def test_writes_without_valid_credentials_are_401_and_change_nothing(
    authorization: str | None, kind: str, detail: str
) -> None:
    # given an administrator whose token is missing, expired, revoked, made up or malformed
    admin = make_admin()
    if authorization in ("expired", "revoked"):
        authorization = f"Bearer {token_for(admin, state=authorization)}"
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    url = reverse("person-list")
    before = database_state()
    # when they try to create a person, change one, and revoke a token
    created = client.post(url, new_person(), format="json")
    changed = client.patch(
        reverse("person-detail", args=[admin.pk]), {"job_title": "Owner"}, format="json"
    )
    # then each is a 401 problem telling how to authenticate, and nothing changed
    for response, path in ((created, url), (changed, reverse("person-detail", args=[admin.pk]))):
        body = assert_complete_problem(response, 401, kind, path)
        assert body["detail"] == detail
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert database_state() == before


@pytest.mark.django_db
def test_problems_answer_outside_drf_too() -> None:
    # given an unknown API path, asked by somebody signed in
    client = APIClient()
    client.force_authenticate(make_person())
    # then Django's own 404 for /api/ is a problem as well
    response = client.get("/api/v1/nothing-here/42/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == "urn:steward:problem:not-found"
    assert body["instance"] == "/api/v1/nothing-here/42/"
    assert body["request_id"] == response["X-Request-ID"]


# -- the OpenAPI schema covers the URL conf -------------------------------------------------

UNDOCUMENTED = {"/api/schema/", "/api/docs/"}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _simplify(regex: str) -> str:
    """``^people/(?P<pk>[^/.]+)/$`` -> ``people/{id}/``, as OpenAPI paths are written."""
    regex = regex.removeprefix("^").removesuffix("\\Z").removesuffix("$")
    regex = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", regex)
    return regex.replace("{pk}", "{id}").replace("\\", "")


def api_endpoints() -> dict[str, set[str]]:
    """Every ``/api/`` path of the URL conf with the methods its view answers."""
    found: dict[str, set[str]] = {}

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            path = prefix + _simplify(entry.pattern.regex.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, path)
            elif isinstance(entry, URLPattern) and path.startswith("/api/"):
                if "{format}" in path:
                    continue  # DRF's ``.json`` suffix twins of the real paths
                actions = getattr(entry.callback, "actions", None)
                if actions is None:  # a plain APIView: the methods its class implements
                    view_class = getattr(entry.callback, "cls", None)
                    actions = {m: m for m in HTTP_METHODS if hasattr(view_class, m)} or {"get": ""}
                found[path] = {method for method in actions if method not in ("head", "options")}

    walk(get_resolver().url_patterns, "/")
    return found


@pytest.mark.django_db
def test_every_api_url_is_in_the_schema() -> None:
    # given the schema as published
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    documented = {
        path: set(ops) & {"get", "post", "put", "patch", "delete"}
        for path, ops in schema["paths"].items()
    }
    # then every API URL, with every method, is documented, and nothing else is
    endpoints = {
        path: methods for path, methods in api_endpoints().items() if path not in UNDOCUMENTED
    }
    assert "/api/v1/people/{id}/" in endpoints  # the walk found the router's URLs
    assert endpoints == documented
    # and both ways of authenticating are described
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert {"tokenAuth": []} in schema["paths"]["/api/v1/people/"]["get"]["security"]


class _AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.assets.append(value)


@pytest.mark.django_db
def test_api_docs_render_with_vendored_assets_only(client: Client) -> None:
    # when somebody opens the interactive docs
    response = client.get("/api/docs/")
    # then the page renders, pointing at our schema
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '"/api/schema/"' in html
    # and every script, stylesheet and icon comes from this server, not a CDN
    parser = _AssetCollector()
    parser.feed(html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in parser.assets)
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I), "external URL"
    for asset in parser.assets:
        assert asset.startswith("/static/"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.getvalue(), asset
