"""Operations endpoints: liveness, readiness, metrics, request ids and the JSON log."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_admin, make_auditor, make_person
from steward.core import context, worker
from steward.core.logging import JsonFormatter, RequestContextFilter
from steward.core.models import WorkerHeartbeat

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
METRICS_TOKEN = "scrape-" + "k" * 40


def steward_setting(settings: Any, **values: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, **values}


def heartbeat(age: timedelta, worker_id: str = "worker-1") -> WorkerHeartbeat:
    seen = timezone.now() - age
    return WorkerHeartbeat.objects.create(worker_id=worker_id, started_at=seen, seen_at=seen)


# -- /healthz -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_answers_anyone_without_touching_the_database(
    client: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


# -- /readyz --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_is_ready_with_database_migrations_and_a_fresh_heartbeat(client: Client) -> None:
    # given a worker that beat just now
    worker.beat("worker-1")
    # when a load balancer asks
    response = client.get("/readyz")
    # then every check holds
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {
        "database": {"ok": True, "detail": connection.vendor},
        "migrations": {"ok": True, "detail": "all applied"},
        "worker": {"ok": True, "detail": "1 alive"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_unavailable_without_a_worker(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["worker"] == {
        "ok": False,
        "detail": "no worker heartbeat in the last 120s",
    }


@pytest.mark.django_db
def test_readyz_follows_the_heartbeat_age_limit(client: Client, settings: Any) -> None:
    # given workers must have beaten within 30 s, and the only one last beat 31 s ago
    steward_setting(settings, WORKER_HEARTBEAT_MAX_AGE=30)
    stale = heartbeat(timedelta(seconds=31))
    # then the node is not ready
    assert client.get("/readyz").status_code == 503
    # when that worker beats again, it is
    worker.beat(stale.worker_id)
    assert client.get("/readyz").status_code == 200
    assert WorkerHeartbeat.objects.count() == 1
    # and a beat 29 s old is still fresh enough
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=29))
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_reports_unapplied_migrations(client: Client) -> None:
    # given a live worker, but the latest core migration is not recorded as applied
    worker.beat("worker-1")
    (latest,) = MigrationLoader(connection).graph.leaf_nodes("core")
    MigrationRecorder(connection).record_unapplied(*latest)
    # when / then
    response = client.get("/readyz")
    assert response.status_code == 503
    migrations = response.json()["checks"]["migrations"]
    assert migrations["ok"] is False
    assert migrations == {"ok": False, "detail": "1 not applied"}


# -- /metrics -------------------------------------------------------------------------------


def assert_prometheus_text(response: Any) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=")
    text: str = response.content.decode()
    assert "# TYPE steward_http_requests_total counter" in text
    assert "# TYPE steward_http_request_duration_seconds histogram" in text
    assert re.search(r"^steward_workers_alive \d", text, re.M)
    return text


@pytest.mark.django_db
def test_metrics_are_refused_to_anonymous_and_to_ordinary_people(client: Client) -> None:
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 403
    assert b"steward_" not in anonymous.content
    client.force_login(make_person())
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("make_reader", [make_admin, make_auditor])
def test_metrics_are_served_to_administrators_and_auditors(
    client: Client, make_reader: Callable[[], Person]
) -> None:
    # given a request that has been counted
    assert client.get("/healthz").status_code == 200
    heartbeat(timedelta(seconds=1))
    client.force_login(make_reader())
    # when they scrape
    text = assert_prometheus_text(client.get("/metrics"))
    # then the request counter and the live gauges are there
    assert re.search(
        r'^steward_http_requests_total\{method="GET",route="healthz",status="200"\} [1-9]',
        text,
        re.M,
    )
    assert re.search(r"^steward_workers_alive 1\.0$", text, re.M)


@pytest.mark.django_db
def test_metrics_are_refused_while_the_second_factor_is_pending(client: Client) -> None:
    # given an administrator with a confirmed second factor, signed in with the password only
    admin = make_admin()
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client.force_login(admin)
    # when they scrape / then they are refused like everywhere else
    assert client.get("/metrics").status_code == 403


@pytest.mark.django_db
def test_metrics_token_lets_a_scraper_in(client: Client, settings: Any) -> None:
    # given a configured scrape token
    steward_setting(settings, METRICS_TOKEN=METRICS_TOKEN)
    # then it opens /metrics, and nothing else does
    assert_prometheus_text(client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}"))
    for header in (f"Bearer {METRICS_TOKEN}x", "Bearer ", f"Basic {METRICS_TOKEN}"):
        assert client.get("/metrics", HTTP_AUTHORIZATION=header).status_code == 403, header


@pytest.mark.django_db
def test_without_a_configured_token_no_bearer_opens_metrics(client: Client, settings: Any) -> None:
    steward_setting(settings, METRICS_TOKEN="")
    for header in ("Bearer ", "Bearer  ", "Bearer x"):
        assert client.get("/metrics", HTTP_AUTHORIZATION=header).status_code == 403, header


# -- request ids ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/healthz", 200),
        ("/readyz", 503),
        ("/metrics", 403),
        ("/accounts/login/", 200),
        ("/no-such-page/", 404),
        ("/api/v1/people/", 401),
    ],
)
def test_every_response_carries_a_request_id(client: Client, path: str, status: int) -> None:
    first, second = client.get(path), client.get(path)
    assert first.status_code == status
    assert GENERATED_ID.match(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_a_valid_incoming_request_id_is_kept_and_echoed(client: Client) -> None:
    # given a proxy that already assigned an id
    incoming = "lb-7f3a.9c_21-xyz"
    # when the request fails in the API
    response = client.get("/api/v1/people/", HTTP_X_REQUEST_ID=incoming)
    # then the header and the problem body carry the same id
    assert response["X-Request-ID"] == incoming
    assert response.json()["request_id"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "garbage",
    ["", "short", "x" * 65, "has spaces in it", "abc;rm -rf /", "<script>alert(1)</script>"],
)
def test_a_garbage_incoming_request_id_is_replaced(client: Client, garbage: str) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID=garbage)
    assert response["X-Request-ID"] != garbage
    assert GENERATED_ID.match(response["X-Request-ID"])


# -- the JSON log ---------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """What Steward's configured console handler would print, one JSON object a line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(name) for name in ("steward", "django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_request_id(client: Client, json_log: io.StringIO) -> None:
    # given a request with a known id that is refused (401)
    incoming = "trace-0001-abcdef"
    # when it is answered
    response = client.get("/api/v1/people/", HTTP_X_REQUEST_ID=incoming)
    # then the access line and Django's own warning line both name it
    assert response.status_code == 401
    lines = log_lines(json_log)
    access = [line for line in lines if line["logger"] == "steward.request"]
    warning = [line for line in lines if line["logger"] == "django.request"]
    assert len(access) == 1
    assert access[0]["request_id"] == incoming
    assert access[0]["source"] == "api"
    assert access[0]["status"] == 401
    assert access[0]["path"] == "/api/v1/people/"
    assert access[0]["level"] == "INFO"
    assert len(warning) == 1
    assert warning[0]["request_id"] == incoming
    assert warning[0]["level"] == "WARNING"


@pytest.mark.django_db
def test_probes_are_not_access_logged(client: Client, json_log: io.StringIO) -> None:
    worker.beat("worker-1")
    for path in ("/healthz", "/readyz"):
        assert client.get(path).status_code == 200
    assert [line for line in log_lines(json_log) if line["logger"] == "steward.request"] == []


def test_log_lines_inside_an_action_carry_its_context(json_log: io.StringIO) -> None:
    # given code running as part of a task with a request id
    with context.acting("task", request_id="job-1234-5678"):
        logging.getLogger("steward.tests").warning("sealing %s entries", 3, extra={"batch": 7})
    # then the line is one JSON object with the context and the extras
    (line,) = log_lines(json_log)
    assert line["message"] == "sealing 3 entries"
    assert line["request_id"] == "job-1234-5678"
    assert line["source"] == "task"
    assert line["batch"] == 7
    assert line["logger"] == "steward.tests"
    # and outside any action, the id is a plain "-"
    logging.getLogger("steward.tests").warning("idle")
    assert log_lines(json_log)[-1]["request_id"] == "-"
