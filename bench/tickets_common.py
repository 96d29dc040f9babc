"""What the ticket benchmarks share: options, signing in, one measured phase of load."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from http.cookies import SimpleCookie
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from bench import cpu
from bench.api_list import _cpu_figures, _people, _positive_float, _positive_int, _read_cpu
from bench.load import LoadResult
from bench.site import DATABASES, SiteError

LOGIN_PATH = "/accounts/login/"
#: As behind the TLS-terminating proxy production runs behind.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def tickets_count(text: str) -> int:
    from bench.generate_tickets import MAX_TICKETS

    value = int(text)
    if not 1000 <= value <= MAX_TICKETS:
        raise argparse.ArgumentTypeError(f"must be between 1000 and {MAX_TICKETS}")
    return value


def add_site_arguments(parser: argparse.ArgumentParser, *, database: str = "postgres") -> None:
    """Options every ticket benchmark takes: where, how much people data, what to keep."""
    parser.add_argument(
        "--database",
        choices=[*DATABASES, "both"],
        default=database,
        help=f"default: {database}",
    )
    parser.add_argument("--people", type=_people, default=10_000, help="default: 10000")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases and server logs afterwards"
    )


def add_load_arguments(
    parser: argparse.ArgumentParser, *, duration: float, concurrency: int = 4
) -> None:
    """Options of benchmarks that drive gunicorn with client threads."""
    parser.add_argument(
        "--duration",
        type=_positive_float,
        default=duration,
        help=f"seconds measured (default {duration:g})",
    )
    parser.add_argument(
        "--requests", type=_positive_int, help="measure this many requests instead of a duration"
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=concurrency,
        help=f"client threads (default {concurrency})",
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of unmeasured warm-up (default 2)"
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=2, help="gunicorn workers (default 2)"
    )


def databases(choice: str) -> tuple[str, ...]:
    return DATABASES if choice == "both" else (choice,)


def size_for(database: str, chosen: int | None, *, postgres: int, sqlite: int) -> int:
    """The size asked for, or the database's default (SQLite's is smaller)."""
    if chosen is not None:
        return chosen
    return postgres if database == "postgres" else sqlite


def speaker(name: str) -> Callable[[str], None]:
    def say(message: str) -> None:
        print(f"[{name}] {message}", file=sys.stderr, flush=True)

    return say


def each_database(
    names: Iterable[str], measure: Callable[[str], dict[str, Any]], say: Callable[[str], None]
) -> Iterator[dict[str, Any]]:
    """The figures per database; a database that fails yields its error instead."""
    for database in names:
        try:
            yield measure(database)
        except Exception as exc:  # one database failing must not hide the other's figures
            say(f"{database}: failed: {exc}")
            yield {"database": database, "error": f"{type(exc).__name__}: {exc}"}


# --- signing in ----------------------------------------------------------------------------


def cookies_from(set_cookie_headers: Iterable[str]) -> dict[str, str]:
    """Name to value of every cookie the ``Set-Cookie`` headers set.

    Read by hand: the site's cookies are ``Secure`` (production) and the load driver talks
    plain HTTP to gunicorn, so a cookie jar would never send them back.
    """
    found: dict[str, str] = {}
    for header in set_cookie_headers:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        found.update({name: morsel.value for name, morsel in jar.items()})
    return found


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))


def sign_in(url: str, *, email: str, password: str) -> str:
    """Sign in through the login form as a browser would; the ``Cookie`` header to send.

    The CSRF cookie's value is a valid form token; the ``Origin`` header names the site as
    the proxy presents it (HTTPS), which Django checks on secure requests.
    """
    origin = f"https://{urlsplit(url).netloc}"
    with httpx.Client(base_url=url, headers=PROXY_HEADERS, timeout=30) as client:
        form = client.get(LOGIN_PATH)
        cookies = cookies_from(form.headers.get_list("set-cookie"))
        if form.status_code != 200 or "csrftoken" not in cookies:
            raise SiteError(f"GET {LOGIN_PATH} answered {form.status_code} without a CSRF cookie")
        answer = client.post(
            LOGIN_PATH,
            data={
                "username": email,
                "password": password,
                "csrfmiddlewaretoken": cookies["csrftoken"],
            },
            headers={
                "Cookie": cookie_header(cookies),
                "Origin": origin,
                "Referer": f"{origin}{LOGIN_PATH}",
            },
        )
        cookies.update(cookies_from(answer.headers.get_list("set-cookie")))
        if answer.status_code != 302 or "sessionid" not in cookies:
            raise SiteError(f"signing in answered {answer.status_code}: {answer.text[:300]}")
    return cookie_header(cookies)


# --- one measured phase --------------------------------------------------------------------

#: Runs the load for (seconds, requests); one of them is ``None``.
Load = Callable[[float | None, int | None], LoadResult]


class Served(Protocol):
    """A site being measured: its gunicorn master, and the database backends serving it.

    ``bench.tickets_site.TicketSite`` is one; so is a peer product's site.
    """

    @property
    def server_pid(self) -> int: ...

    def database_pids(self) -> list[int]: ...


def creation_load(
    url: str,
    create: Callable[[httpx.Client, Any], httpx.Response],
    *,
    headers: dict[str, str],
    args: argparse.Namespace,
) -> tuple[Load, list[LoadResult]]:
    """A ``Load`` that creates with ``create`` (each answer must be 201), and the list its
    phases are kept in (warm-up first), to count what was created afterwards."""
    from bench.call_load import run_calls

    phases: list[LoadResult] = []

    def load(seconds: float | None, requests: int | None) -> LoadResult:
        result = run_calls(
            url,
            create,
            headers=headers,
            concurrency=args.concurrency,
            expect=201,
            seed=args.seed * 10 + len(phases),
            seconds=seconds,
            requests=requests,
        )
        phases.append(result)
        return result

    return load, phases


def measure_phase(site: Served, load: Load, args: argparse.Namespace) -> dict[str, Any]:
    """Warm up, then measure: the load's figures and where the CPU went meanwhile."""
    if args.warmup > 0:
        load(args.warmup, None)
    # After the warm-up: the workers are up and PostgreSQL's connections are open.
    server_pids, database_pids = cpu.children(site.server_pid), site.database_pids()
    before = _read_cpu(server_pids, database_pids)
    result = load(None if args.requests else args.duration, args.requests)
    after = _read_cpu(server_pids, database_pids)
    return {
        **result.figures(),
        **_cpu_figures(
            before=before,
            after=after,
            client_s=result.client_cpu_seconds,
            requests=result.requests,
        ),
    }
