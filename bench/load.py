"""Closed-loop HTTP load from the benchmark process: N threads, each with its own client.

Every thread sends one request, waits for the whole answer, records how long it took and
sends the next one, so ``concurrency`` requests are in flight at any time. Callers warm up
with a first, unreported run (the server's workers load code and open connections then).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

#: How long one request may take before it counts as an error.
REQUEST_TIMEOUT = 30.0
#: Error messages kept as examples in the result (the count covers all of them).
ERROR_EXAMPLES = 3


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values``, interpolating between ranks.

    The same definition as ``numpy.percentile``'s default and ``statistics.quantiles`` with
    ``method="inclusive"``: p50 of 1, 2, 3, 4 is 2.5.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class LoadResult:
    """What one measured phase saw, latencies in milliseconds."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def requests(self) -> int:
        """Requests answered (successfully or not) during the measured phase."""
        return len(self.latencies_ms)

    def figures(self) -> dict[str, object]:
        """Rate and latency figures, rounded for the JSON line."""
        ok = self.requests - self.errors
        latencies = self.latencies_ms or [math.nan]
        return {
            "requests": self.requests,
            "errors": self.errors,
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "seconds": round(self.seconds, 2),
            "rps": round(ok / self.seconds, 1) if self.seconds else 0.0,
            "mean_ms": round(sum(latencies) / len(latencies), 2),
            "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies), 2),
            "client_cpu_s": round(self.client_cpu_seconds, 2),
            "error_examples": self.error_examples,
        }


class _Budget:
    """Hands out permission to start a request: until a deadline, or N times in all."""

    def __init__(self, *, seconds: float | None, requests: int | None) -> None:
        self.deadline = time.perf_counter() + seconds if seconds is not None else math.inf
        self.left = requests if requests is not None else -1
        self.lock = threading.Lock()
        self.cancelled = threading.Event()

    def take(self) -> bool:
        if self.cancelled.is_set() or time.perf_counter() >= self.deadline:
            return False
        with self.lock:
            if self.left == 0:
                return False
            self.left -= 1
            return True


def worker(
    client: httpx.Client,
    send: Callable[[httpx.Client], httpx.Response],
    expect: int,
    budget: _Budget,
    result: LoadResult,
    lock: threading.Lock,
) -> None:
    """One client thread: ``send`` until the budget runs out, then add its figures."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    while budget.take():
        started = time.perf_counter()
        try:
            response = send(client)
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
    clients: Sequence[httpx.Client], path: str, *, seconds: float | None, requests: int | None
) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    budget = _Budget(seconds=seconds, requests=requests)
    threads = [
        threading.Thread(
            target=worker,
            args=(client, lambda c: c.get(path), 200, budget, result, lock),
            daemon=True,
        )
        for client in clients
    ]
    return run_workers(threads, budget, result)


def run_workers(threads: list[threading.Thread], budget: _Budget, result: LoadResult) -> LoadResult:
    """Start the client threads, wait for them, and time the phase (wall and client CPU)."""
    cpu, started = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C or SIGTERM: let every thread finish its request first
        budget.cancelled.set()
        for thread in threads:
            thread.join()
        raise
    result.seconds = time.perf_counter() - started
    result.client_cpu_seconds = time.process_time() - cpu
    return result


def run_load(
    base_url: str,
    path: str,
    *,
    headers: Mapping[str, str],
    concurrency: int,
    seconds: float | None = None,
    requests: int | None = None,
) -> LoadResult:
    """Ask for ``path`` from ``concurrency`` threads, ``requests`` times or for ``seconds``."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if seconds is None and requests is None:
        raise ValueError("give seconds or requests")
    clients = [
        httpx.Client(base_url=base_url, headers=dict(headers), timeout=REQUEST_TIMEOUT)
        for _ in range(concurrency)
    ]
    try:
        return _phase(clients, path, seconds=seconds, requests=requests)
    finally:
        for client in clients:
            client.close()
