"""Closed-loop load of any request (a POST with a fresh body each time, say).

``bench.load.run_load`` asks one GET again and again; ``run_calls`` sends whatever ``call``
sends with the thread's own client and random generator, and counts an answer with the
``expect``-ed status as a success. Same budget, same figures (``bench.load.LoadResult``).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

import httpx

from bench.load import ERROR_EXAMPLES, REQUEST_TIMEOUT, LoadResult, _Budget, run_workers

#: Sends one request with the thread's client and random generator, returns the answer.
Call = Callable[[httpx.Client, random.Random], httpx.Response]


def _worker(
    client: httpx.Client,
    call: Call,
    rng: random.Random,
    expect: int,
    budget: _Budget,
    result: LoadResult,
    lock: threading.Lock,
) -> None:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    while budget.take():
        started = time.perf_counter()
        try:
            response = call(client, rng)
            response.read()
            status = response.status_code
            problem = "" if status == expect else f"HTTP {status}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            status, problem = 0, f"{type(exc).__name__}: {exc}"
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] += 1
        if problem:
            errors.append(problem)
    with lock:
        result.latencies_ms += latencies
        result.statuses.update(statuses)
        result.errors += len(errors)
        room = ERROR_EXAMPLES - len(result.error_examples)
        result.error_examples += errors[: max(room, 0)]


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
            target=_worker,
            args=(client, call, random.Random(seed * 1000 + n), expect, budget, result, lock),
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
