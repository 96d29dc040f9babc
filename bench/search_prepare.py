"""The Django side of the search benchmark (``bench.tickets_prepare search``): incidents with
their search entries, an agent's token, and each query measured once in-process."""

from __future__ import annotations

import json
from typing import Any

from bench.tickets_prepare import (
    API_PATHS,
    _agent_in,
    _ask,
    _token_for,
    explain_ticket_queries,
    fill,
)

#: What agents type, from the generator's vocabulary; how broad each is at any size.
SEARCHES = {
    "number": None,  # the number of the middle ticket, filled in by ``prepare_search``
    "rare": "zebra",  # in no generated ticket
    "phrase": '"docking station"',  # one subject of 16: ~6%
    "two_words": "printer floor",  # ~6%
    "word": "slow",  # one problem of 10: ~10%
    "broad": "screenshot",  # one description of 6: ~17%
    "very_broad": "is",  # three problems of 10: ~30%
    "prefix": "pass",  # type-ahead: password (subject and problem), ~16%
}


def search_path(kind: str, query: str) -> str:
    from urllib.parse import urlencode

    return f"{API_PATHS[kind]}?{urlencode({'q': query})}"


def prepare_search(*, people: int, tickets: int, seed: int, kind: str) -> dict[str, Any]:
    """Tickets with their search entries; an agent's token; each query's matches and its
    time in-process (median of a few), with the SQL plan of its ticket query."""
    from django.test import Client

    from steward.tickets.models import Ticket

    facts = fill(people=people, tickets=tickets, seed=seed, search=True, kind=kind)
    agent = _agent_in()
    token = _token_for(agent)
    middle = Ticket.objects.order_by("id").values_list("number", flat=True)[tickets // 2]
    queries = {name: (query or middle) for name, query in SEARCHES.items()}
    client, headers = Client(), {"Authorization": f"Bearer {token}"}
    per_query: dict[str, Any] = {}
    for name, query in queries.items():
        path = search_path(kind, query)
        asked = _ask(client, path, headers)
        rows = len(json.loads(asked.pop("content"))["results"])
        sql = explain_ticket_queries(name, asked.pop("statements"))
        per_query[name] = {"q": query, "path": path, "page_rows": rows, **asked, "sql": sql}
    return {**facts, "token": token, "agent_id": agent.pk, "queries": per_query}
