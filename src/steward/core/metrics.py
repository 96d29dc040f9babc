"""Prometheus metrics: request counts and latency per route, plus live gauges read at scrape.

Under gunicorn with several workers set ``PROMETHEUS_MULTIPROC_DIR`` (``steward run`` does)
so every process's counters are summed at scrape time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "steward_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
LATENCY = Histogram(
    "steward_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(seconds)


class LiveStateCollector(Collector):
    """Gauges read from the database at scrape time, so every node reports the same truth."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django_tasks_db.models import DBTaskResult

        from steward.core.models import WorkerHeartbeat

        tasks = GaugeMetricFamily("steward_tasks", "Background tasks by status", labels=["status"])
        for row in DBTaskResult.objects.values("status").annotate(n=Count("id")).order_by():
            tasks.add_metric([str(row["status"]).lower()], row["n"])
        yield tasks

        workers = GaugeMetricFamily(
            "steward_workers_alive", "Workers whose heartbeat is fresher than the allowed age"
        )
        workers.add_metric([], WorkerHeartbeat.objects.alive().count())
        yield workers

        age = GaugeMetricFamily(
            "steward_worker_heartbeat_age_seconds", "Seconds since the freshest worker heartbeat"
        )
        newest = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True)
        seen = newest.first()
        age.add_metric([], (timezone.now() - seen).total_seconds() if seen else float("inf"))
        yield age


def render() -> tuple[bytes, str]:
    """The exposition text for a scrape."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    live = CollectorRegistry()
    live.register(LiveStateCollector())
    return generate_latest(registry) + generate_latest(live), CONTENT_TYPE


__all__ = ["CONTENT_TYPE", "observe_request", "render"]
