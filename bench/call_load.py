"""Closed-loop load of any request (a POST with a fresh body each time, say).

``bench.load.run_load`` asks one GET again and again; ``run_calls`` sends whatever ``call``
sends with the thread's own client and random generator, and counts an answer with the
``expect``-ed status as a success. Same budget, same figures (``bench.load.LoadResult``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping, Sequence

import httpx

from bench.load import REQUEST_TIMEOUT, LoadResult, _Budget, run_workers, worker

#: Sends one request with the thread's client and random generator, returns the answer.
Call = Callable[[httpx.Client, random.Random], httpx.Response]


def _bound(call: Call, rng: random.Random) -> Callable[[httpx.Client], httpx.Response]:
    """``call`` with this thread's own random generator."""
    return lambda client: call(client, rng)


def _phase(
    clients: Sequence[httpx.Client],
    call: Call,
    *,
    expect: int,
    seed: int,
    seconds: float | None,
    requests: int | None,
) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    budget = _Budget(seconds=seconds, requests=requests)
    threads = [
        threading.Thread(
            target=worker,
            args=(
                client,
                _bound(call, random.Random(seed * 1000 + n)),
                expect,
                budget,
                result,
                lock,
            ),
            daemon=True,
        )
        for n, client in enumerate(clients)
    ]
    return run_workers(threads, budget, result)


def run_calls(
    base_url: str,
    call: Call,
    *,
    headers: Mapping[str, str],
    concurrency: int,
    expect: int = 200,
    seed: int = 1,
    seconds: float | None = None,
    requests: int | None = None,
) -> LoadResult:
    """Send ``call`` from ``concurrency`` threads, ``requests`` times or for ``seconds``."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if seconds is None and requests is None:
        raise ValueError("give seconds or requests")
    clients = [
        httpx.Client(base_url=base_url, headers=dict(headers), timeout=REQUEST_TIMEOUT)
        for _ in range(concurrency)
    ]
    try:
        return _phase(clients, call, expect=expect, seed=seed, seconds=seconds, requests=requests)
    finally:
        for client in clients:
            client.close()
