"""The runner's pure parts: percentiles, figures, options, the JSON lines, the load loop.

Nothing here is timed and nothing starts gunicorn or touches a database.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bench import api_list, runner
from bench.load import LoadResult, _Budget, percentile, run_load
from bench.site import POSTGRES_DATABASE, postgres_url, server_environment

# --- percentiles and figures ---------------------------------------------------------------


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 100) == 4.0
    assert percentile([7.0], 95) == 7.0


def test_percentile_agrees_with_the_standard_library() -> None:
    # given 1..200 in a scrambled order
    values = [float((n * 37) % 200 + 1) for n in range(200)]

    # then p5, p10, ..., p95 are statistics.quantiles' inclusive cut points
    expected = statistics.quantiles(values, n=20, method="inclusive")
    assert [percentile(values, q) for q in range(5, 100, 5)] == pytest.approx(expected)


@pytest.mark.parametrize("values, q", [([], 50), ([1.0], -1), ([1.0], 101)])
def test_percentile_refuses_nonsense(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, q)


def test_figures_count_only_successes_in_the_rate() -> None:
    # given 100 answers over 2 seconds, 4 of them errors
    result = LoadResult(latencies_ms=[float(n) for n in range(1, 101)], errors=4, seconds=2.0)
    result.statuses.update({200: 96, 500: 4})

    # when
    figures = result.figures()

    # then
    assert figures["requests"] == 100
    assert figures["errors"] == 4
    assert figures["rps"] == 48.0
    assert figures["p50_ms"] == 50.5
    assert figures["p95_ms"] == 95.05
    assert figures["p99_ms"] == 99.01
    assert figures["max_ms"] == 100.0
    assert figures["statuses"] == {"200": 96, "500": 4}


def test_a_request_budget_runs_out() -> None:
    budget = _Budget(seconds=None, requests=3)
    assert [budget.take() for _ in range(5)] == [True, True, True, False, False]


def test_a_cancelled_budget_hands_out_nothing() -> None:
    budget = _Budget(seconds=60, requests=None)
    budget.cancelled.set()
    assert budget.take() is False


# --- options -------------------------------------------------------------------------------


def test_api_list_defaults() -> None:
    args = runner.build_parser().parse_args(["api_list"])

    assert args.name == "api_list"
    assert (args.database, args.people, args.duration, args.requests) == ("both", 10_000, 10, None)
    assert (args.concurrency, args.workers, args.acting_as) == (4, 2, "staff")
    assert api_list.databases(args.database) == ("sqlite", "postgres")


def test_api_list_options() -> None:
    args = runner.build_parser().parse_args(
        ["api_list", "--database", "sqlite", "--people", "100000", "--requests", "500"]
    )

    assert api_list.databases(args.database) == ("sqlite",)
    assert (args.people, args.requests) == (100_000, 500)


@pytest.mark.parametrize(
    "options",
    [
        ["--concurrency", "0"],
        ["--people", "50"],
        ["--duration", "-1"],
        ["--database", "mysql"],
    ],
)
def test_api_list_refuses_bad_options(options: list[str]) -> None:
    with pytest.raises(SystemExit):
        runner.build_parser().parse_args(["api_list", *options])


def test_list_names_the_benchmarks(capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.main(["--list"]) == 0
    assert capsys.readouterr().out.split()[0] == "api_list"


def test_no_benchmark_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.main([]) == 2
    assert "usage:" in capsys.readouterr().err


def test_prints_one_json_line_per_run_and_fails_on_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a benchmark whose second database fails
    def fake_run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
        yield {"database": "sqlite", "rps": 100.0}
        yield {"database": "postgres", "error": "RuntimeError: down"}

    fake = runner.Benchmark("fake", "a fake", lambda parser: None, fake_run)
    monkeypatch.setattr(runner, "BENCHMARKS", {"fake": fake})

    # when
    status = runner.main(["fake"])

    # then
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1
    assert [(line["benchmark"], line["database"]) for line in lines] == [
        ("fake", "sqlite"),
        ("fake", "postgres"),
    ]
    assert lines[0]["rps"] == 100.0 and "error" not in lines[0]
    assert {"commit", "python", "django", "cpu_count", "timestamp"} <= set(lines[0])


# --- where the sites live ------------------------------------------------------------------


def test_postgres_url_keeps_the_server_and_names_the_bench_database() -> None:
    url = postgres_url("postgres://bench:secret@db.example:6543/steward")
    assert url == f"postgres://bench:secret@db.example:6543/{POSTGRES_DATABASE}"


def test_postgres_url_defaults_to_the_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
    assert postgres_url() == f"postgres://postgres@127.0.0.1:5432/{POSTGRES_DATABASE}"


def test_server_environment_is_production_and_ignores_the_callers_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("STEWARD_DEBUG", "1")

    env = server_environment(database_url="sqlite:///x.sqlite3", data_dir=tmp_path)

    assert env["STEWARD_ENV"] == "production"
    assert len(env["SECRET_KEY"]) >= 50 and not env["SECRET_KEY"].startswith("insecure-")
    assert env["DATABASE_URL"] == "sqlite:///x.sqlite3"
    assert "STEWARD_DEBUG" not in env


# --- the load loop, against a tiny local server --------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/ok" else 500
        body = b'{"results": []}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_run_load_sends_exactly_the_requests_asked_for(local_server: str) -> None:
    result = run_load(local_server, "/ok", headers={}, concurrency=3, requests=25)

    assert (result.requests, result.errors) == (25, 0)
    assert result.statuses == {200: 25}
    assert all(latency > 0 for latency in result.latencies_ms)


def test_run_load_counts_error_answers(local_server: str) -> None:
    result = run_load(local_server, "/broken", headers={}, concurrency=2, requests=6)

    assert (result.requests, result.errors) == (6, 6)
    assert result.statuses == {500: 6}
    assert len(result.error_examples) == 3
    assert result.error_examples[0].startswith("HTTP 500")
