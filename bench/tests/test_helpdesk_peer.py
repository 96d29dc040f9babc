"""The peer benchmark's pure parts: its venv requirements, environment, bodies, answers.

Nothing here installs the peer, starts gunicorn or touches a database.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench import helpdesk_peer, runner
from bench.peers.helpdesk.peer_site.environment import (
    DEFAULT_EMAIL_BACKEND,
    ConfigurationError,
    allowed_hosts,
    database_from_url,
    email_backend,
    required,
)
from bench.site import SiteError

SATISFIED = {
    "django-helpdesk": "2.6.1",
    "django": "5.2.19",
    "gunicorn": "27.0.1",
    "psycopg": "3.3.9",
    "psycopg-binary": "3.3.9",
}

# --- the peer's virtualenv -----------------------------------------------------------------


def test_a_complete_venv_needs_nothing() -> None:
    assert helpdesk_peer.unmet(SATISFIED, "27.0.1") == []


@pytest.mark.parametrize(
    "changes, missing",
    [
        ({"django-helpdesk": None}, ["django-helpdesk==2.6.*"]),
        ({"django-helpdesk": "2.5.3"}, ["django-helpdesk==2.6.*"]),
        ({"django-helpdesk": "2.60.0"}, ["django-helpdesk==2.6.*"]),
        ({"gunicorn": "23.0.0"}, ["gunicorn==27.0.1"]),
        ({"psycopg-binary": None}, ["psycopg[binary]"]),
    ],
)
def test_what_a_venv_lacks(changes: dict[str, str | None], missing: list[str]) -> None:
    assert helpdesk_peer.unmet({**SATISFIED, **changes}, "27.0.1") == missing


def test_an_empty_venv_lacks_every_requirement() -> None:
    assert helpdesk_peer.unmet({}, "27.0.1") == helpdesk_peer.requirements("27.0.1")


def test_the_venv_is_outside_the_sources_and_ignored() -> None:
    root = helpdesk_peer.ROOT
    assert helpdesk_peer.VENV.relative_to(root) == Path("bench/.peers/helpdesk-venv")
    assert "/bench/.peers/" in (root / ".gitignore").read_text().splitlines()


# --- the peer's site -----------------------------------------------------------------------


def test_peer_environment_is_its_own(tmp_path: Path) -> None:
    inherited = {
        "PATH": "/usr/bin",
        "HOME": "/root",
        "STEWARD_ENV": "development",
        "DATABASE_URL": "sqlite:///steward.sqlite3",
        "SECRET_KEY": "the caller's",
        "DJANGO_SETTINGS_MODULE": "steward.config.settings",
        "PYTHONPATH": "/elsewhere",
        "VIRTUAL_ENV": "/work/main/.venv",
        "HELPDESK_NEW_TICKET_WEBHOOK_URLS": "http://example.invalid/hook",
        "PEER_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }

    env = helpdesk_peer.peer_environment(
        database_url="postgres://postgres@127.0.0.1:5432/bench_helpdesk_x",
        data_dir=tmp_path,
        inherited=inherited,
    )

    assert (env["PATH"], env["HOME"]) == ("/usr/bin", "/root")
    assert env["DJANGO_SETTINGS_MODULE"] == "peer_site.settings"
    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/bench_helpdesk_x"
    assert env["PYTHONPATH"] == str(helpdesk_peer.PEER_DIR)
    assert env["PEER_DATA_DIR"] == str(tmp_path)
    assert len(env["SECRET_KEY"]) >= 50 and env["SECRET_KEY"] != "the caller's"
    assert "127.0.0.1" in allowed_hosts(env["PEER_ALLOWED_HOSTS"])
    for gone in ("STEWARD_ENV", "VIRTUAL_ENV", "HELPDESK_NEW_TICKET_WEBHOOK_URLS"):
        assert gone not in env
    assert email_backend(env) == DEFAULT_EMAIL_BACKEND  # the caller's SMTP choice is dropped


def test_each_run_names_a_database_of_its_own() -> None:
    names = {helpdesk_peer.database_name() for _ in range(20)}

    assert len(names) == 20
    assert all(name.startswith("bench_helpdesk_") and name.isidentifier() for name in names)


def test_database_url_keeps_the_server() -> None:
    url = helpdesk_peer.database_url("bench_helpdesk_ab12", "postgres://u:p@db.example:6543/x")
    assert url == "postgres://u:p@db.example:6543/bench_helpdesk_ab12"


def test_last_json_line_reads_the_answer_after_any_chatter() -> None:
    output = 'Operations to perform: ...\n{"a": 1}\n{"tickets": 3}\n\n'
    assert helpdesk_peer.last_json_line(output) == {"tickets": 3}


@pytest.mark.parametrize("output", ["", "\n\n", "[1, 2]\n"])
def test_last_json_line_refuses_what_is_no_answer(output: str) -> None:
    with pytest.raises(SiteError):
        helpdesk_peer.last_json_line(output)


def test_ticket_bodies_are_repeatable_and_complete() -> None:
    addresses = helpdesk_peer.submitters()

    first = [helpdesk_peer.ticket_body(random.Random(7), submitters=addresses) for _ in range(2)]
    many = [helpdesk_peer.ticket_body(random.Random(n), submitters=addresses) for n in range(300)]

    assert first[0] == first[1]
    assert len(set(addresses)) == helpdesk_peer.SUBMITTERS
    for body in many:
        assert set(body) == {"title", "description", "submitter_email", "priority"}
        assert body["title"] and body["description"]  # the peer requires both
        assert body["submitter_email"] in addresses
        assert 1 <= body["priority"] <= 5
    assert {body["priority"] for body in many} == {1, 2, 3, 4, 5}


# --- the peer's settings, read from its environment -----------------------------------------


def test_database_from_url() -> None:
    config = database_from_url("postgres://bench:s%40cret@db.example:6543/bench_helpdesk_1")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == (
        "bench_helpdesk_1",
        "bench",
        "s@cret",
    )
    assert (config["HOST"], config["PORT"], config["CONN_MAX_AGE"]) == ("db.example", "6543", 60)


def test_database_from_url_defaults_to_the_local_server() -> None:
    config = database_from_url("postgresql:///peer")
    assert (config["USER"], config["HOST"], config["PORT"]) == ("postgres", "127.0.0.1", "5432")


@pytest.mark.parametrize("url", ["sqlite:///x.sqlite3", "postgres://127.0.0.1:5432/", ""])
def test_database_from_url_refuses_what_the_peer_cannot_use(url: str) -> None:
    with pytest.raises(ConfigurationError):
        database_from_url(url)


def test_allowed_hosts_and_required_values() -> None:
    assert allowed_hosts(" 127.0.0.1, localhost,,testserver ") == [
        "127.0.0.1",
        "localhost",
        "testserver",
    ]
    assert required({"SECRET_KEY": "k"}, "SECRET_KEY") == "k"
    with pytest.raises(ConfigurationError):
        required({"SECRET_KEY": ""}, "SECRET_KEY")


def test_email_backend_is_in_memory_unless_told() -> None:
    assert email_backend({}) == "django.core.mail.backends.locmem.EmailBackend"
    assert email_backend({"PEER_EMAIL_BACKEND": "x.Backend"}) == "x.Backend"


# --- options -------------------------------------------------------------------------------


def test_helpdesk_create_takes_ticket_creates_load_options() -> None:
    peer = runner.build_parser().parse_args(["helpdesk_create"])
    steward = runner.build_parser().parse_args(["ticket_create"])

    for option in ("duration", "requests", "concurrency", "warmup", "workers", "seed", "keep"):
        assert getattr(peer, option) == getattr(steward, option), option
    assert not hasattr(peer, "database")


def test_helpdesk_create_options() -> None:
    args = runner.build_parser().parse_args(
        ["helpdesk_create", "--workers", "3", "--concurrency", "8", "--duration", "5", "--keep"]
    )
    assert (args.workers, args.concurrency, args.duration, args.keep) == (3, 8, 5.0, True)
