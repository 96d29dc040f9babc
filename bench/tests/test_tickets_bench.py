"""The ticket benchmarks' pure parts: options, plans, checks, cookies, the call loop.

Nothing here is timed and nothing starts gunicorn or touches a database.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from bench import audit_chain, runner, ticket_create, tickets_queue
from bench.call_load import run_calls
from bench.tickets_common import cookie_header, cookies_from, databases, size_for
from bench.tickets_prepare import (
    api_path,
    creation_body,
    indexes_used,
    later_page,
    number_gaps,
    plan_summary,
    queue_path,
    statement_tail,
)

# --- options -------------------------------------------------------------------------------


def test_every_benchmark_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.main(["--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == [
        "api_list",
        "tickets_queue",
        "ticket_create",
        "ticket_search",
        "audit_chain",
        "mail_ingest",
        "helpdesk_create",
        "event_log_import",
    ]


def test_tickets_queue_defaults_to_a_million_tickets_on_postgres() -> None:
    args = runner.build_parser().parse_args(["tickets_queue"])

    assert (args.database, args.people, args.tickets, args.team) == (
        "postgres",
        10_000,
        None,
        "busiest",
    )
    assert (args.duration, args.concurrency, args.workers, args.warmup) == (10.0, 4, 2, 2.0)
    assert size_for("postgres", args.tickets, **tickets_queue.DEFAULT_TICKETS) == 1_000_000
    assert size_for("sqlite", args.tickets, **tickets_queue.DEFAULT_TICKETS) == 100_000
    assert size_for("sqlite", 5000, **tickets_queue.DEFAULT_TICKETS) == 5000


def test_ticket_create_and_audit_chain_defaults() -> None:
    create = runner.build_parser().parse_args(["ticket_create"])
    chain = runner.build_parser().parse_args(["audit_chain", "--database", "both"])

    assert (create.database, create.tickets, create.duration, create.concurrency) == (
        "postgres",
        100_000,
        15.0,
        4,
    )
    assert databases(chain.database) == ("sqlite", "postgres")
    assert size_for("postgres", chain.entries, **audit_chain.DEFAULT_ENTRIES) == 1_000_000


@pytest.mark.parametrize(
    "options",
    [
        ["tickets_queue", "--tickets", "10"],
        ["tickets_queue", "--team", "quietest"],
        ["ticket_create", "--concurrency", "0"],
        ["audit_chain", "--entries", "0"],
        ["audit_chain", "--database", "mysql"],
    ],
)
def test_refuses_bad_options(options: list[str]) -> None:
    with pytest.raises(SystemExit):
        runner.build_parser().parse_args(options)


def test_the_queue_paths() -> None:
    assert queue_path(7) == "/tickets/?team=7&sort=priority"
    assert api_path(7) == "/api/v1/tickets/?team=7&is_open=true&ordering=priority"


def test_a_later_page_of_either_list() -> None:
    web = queue_path(7)
    api = api_path(7)
    next_link = "https://testserver/api/v1/tickets/?cursor=cD0z&is_open=true&ordering=priority"

    assert later_page(web, "<html>") == "/tickets/?team=7&sort=priority&page=3"
    assert later_page(api, json.dumps({"next": next_link})) == (
        "/api/v1/tickets/?cursor=cD0z&is_open=true&ordering=priority"
    )


def test_a_creation_body_is_a_routed_ticket_for_one_of_the_requesters() -> None:
    body = creation_body(random.Random(1), requesters=[5, 6], team=3)

    assert set(body) == {"title", "description", "requester", "team", "impact", "urgency"}
    assert body["requester"] in {5, 6} and body["team"] == 3
    assert 1 <= body["impact"] <= 3 and 1 <= body["urgency"] <= 3


def test_per_second() -> None:
    assert audit_chain.per_second(1000, 4.0) == 250.0
    assert audit_chain.per_second(None, 4.0) is None
    assert ticket_create.NAME == "ticket_create"


# --- plans and checks ----------------------------------------------------------------------

PLAN = {
    "Node Type": "Limit",
    "Actual Rows": 50,
    "Plans": [
        {
            "Node Type": "Sort",
            "Sort Method": "top-N heapsort",
            "Plans": [
                {
                    "Node Type": "Nested Loop",
                    "Plans": [
                        {"Node Type": "Index Scan", "Index Name": "ticket_team_queue"},
                        {"Node Type": "Index Scan", "Index Name": "accounts_person_pkey"},
                    ],
                }
            ],
        }
    ],
}


def test_plan_summary_reads_top_down() -> None:
    assert plan_summary(PLAN) == (
        "Limit > Sort(top-N heapsort) > Nested Loop > "
        "(Index Scan[ticket_team_queue] + Index Scan[accounts_person_pkey])"
    )
    assert plan_summary({"Node Type": "Seq Scan", "Relation Name": "t"}) == "Seq Scan[t]"


def test_indexes_used_in_plan_order() -> None:
    assert indexes_used(PLAN) == ["ticket_team_queue", "accounts_person_pkey"]
    assert indexes_used({"Node Type": "Result"}) == []


def test_statement_tail_starts_at_where() -> None:
    assert statement_tail('SELECT a FROM "t" WHERE x = 1 ORDER BY a') == "WHERE x = 1 ORDER BY a"
    assert statement_tail("SELECT 1") == "SELECT 1"
    assert statement_tail("SELECT a FROM t WHERE " + "x" * 500, limit=20) == "WHERE xxxxxxxxxxx..."


@pytest.mark.parametrize(
    "values, after, gaps",
    [
        ([101, 102, 103], 100, 0),
        ([103, 101, 104], 100, 1),  # 102 never handed out
        ([102, 103], 100, 1),  # 101 lost before the first one we saw
        ([], 100, 0),
    ],
)
def test_number_gaps(values: list[int], after: int, gaps: int) -> None:
    assert number_gaps(values, after=after) == gaps


# --- signing in ----------------------------------------------------------------------------


def test_cookies_from_set_cookie_headers() -> None:
    headers = [
        "csrftoken=abc123; expires=Wed, 24 Nov 2027 10:00:00 GMT; Max-Age=31449600; Path=/;"
        " SameSite=Lax; Secure",
        "sessionid=s3ss; HttpOnly; Path=/; SameSite=Lax; Secure",
    ]

    cookies = cookies_from(headers)

    assert cookies == {"csrftoken": "abc123", "sessionid": "s3ss"}
    assert cookie_header(cookies) == "csrftoken=abc123; sessionid=s3ss"


# --- the call loop, against a tiny local server --------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 201 if body.get("ok") else 400
        payload = json.dumps({"echo": body}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

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


def test_run_calls_posts_fresh_bodies_and_counts_the_expected_status(local_server: str) -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def call(client: httpx.Client, rng: random.Random) -> httpx.Response:
        value = rng.randrange(10**9)
        with lock:
            seen.append(value)
        return client.post("/", json={"ok": True, "value": value})

    result = run_calls(local_server, call, headers={}, concurrency=3, expect=201, requests=30)

    assert (result.requests, result.errors) == (30, 0)
    assert result.statuses == {201: 30}
    assert len(set(seen)) == 30  # each thread draws from its own generator


def test_run_calls_counts_other_answers_as_errors(local_server: str) -> None:
    result = run_calls(
        local_server,
        lambda client, rng: client.post("/", json={"ok": False}),
        headers={},
        concurrency=2,
        expect=201,
        requests=5,
    )

    assert (result.requests, result.errors) == (5, 5)
    assert result.error_examples[0].startswith("HTTP 400")
