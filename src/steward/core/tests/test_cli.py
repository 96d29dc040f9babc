"""The ``steward`` command: scriptable, no prompts, one-line token output, idempotent set-up.

Most tests call the management commands in-process (the same code the console script
runs); one drives the installed ``steward`` console script end to end on a fresh data
directory, as an operator's script would.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from steward.accounts.choices import RoleCode
from steward.accounts.demo import DEMO_DOMAIN, STAFF
from steward.accounts.models import ApiToken, Organisation, Person, Team
from steward.accounts.tests.factories import PASSWORD, make_person
from steward.core import worker
from steward.core.models import AuditEntry

TOKEN = re.compile(r"stw_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def steward(*args: str) -> str:
    """Run a ``steward`` subcommand in-process and return what it printed."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def me(secret: str) -> Any:
    return APIClient().get("/api/v1/people/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")


def counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "organisations": Organisation.objects.count(),
        "teams": Team.objects.count(),
        "tokens": ApiToken.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


# -- createadmin ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_createadmin_creates_an_administrator_from_the_command_line() -> None:
    # when an operator creates the first administrator
    out = steward("createadmin", "--email", "Ops@Example.test", "--password", PASSWORD)
    # then they exist, hold the role, sign in with that password, and the CLI is on record
    assert out == "Administrator ops@example.test is ready.\n"
    admin = Person.objects.get(email="ops@example.test")
    assert admin.has_role(RoleCode.ADMINISTRATOR)
    assert admin.check_password(PASSWORD)
    entry = AuditEntry.objects.for_object(admin).get(action="person.created")
    assert entry.source == "cli"
    assert entry.actor is None


@pytest.mark.django_db
def test_createadmin_twice_rekeys_the_same_administrator() -> None:
    # given an administrator
    steward("createadmin", "--email", "ops@example.test", "--password", PASSWORD)
    before = counts()
    # when the same command runs again with a new password (a re-run script, a lost password)
    out = steward("createadmin", "--email", "ops@example.test", "--password", "another long secret")
    # then there is still one such person, and only the new password works
    assert out == "Administrator ops@example.test is ready.\n"
    admin = Person.objects.get(email="ops@example.test")
    assert Person.objects.count() == before["people"]
    assert admin.check_password("another long secret")
    assert not admin.check_password(PASSWORD)
    assert list(admin.roles.values_list("code", flat=True)) == [RoleCode.ADMINISTRATOR]


@pytest.mark.django_db
def test_createadmin_makes_an_existing_person_an_administrator() -> None:
    person = make_person(email="lead@example.test")
    steward("createadmin", "--email", "lead@example.test", "--password", "a fresh long secret")
    person.refresh_from_db()
    assert person.has_role(RoleCode.ADMINISTRATOR)
    assert person.has_role(RoleCode.REQUESTER)
    assert person.check_password("a fresh long secret")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "ops@example.test", "--password", "short"], "too short"),
        (["--email", "ops@example.test", "--password", "password123"], "too common"),
        (["--email", "not-an-email", "--password", PASSWORD], "valid email"),
        (["--email", "ops@example.test"], "the following arguments are required: --password"),
    ],
)
def test_createadmin_refuses_bad_input_clearly_and_changes_nothing(
    args: list[str], message: str
) -> None:
    before = counts()
    with pytest.raises(CommandError, match=message):
        steward("createadmin", *args)
    assert counts() == before


# -- token ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_create_prints_only_a_token_that_authenticates() -> None:
    # given a person
    person = make_person(email="bot@example.test")
    # when an operator creates a token for them
    out = steward("token", "create", "BOT@example.test", "--name", "backup script", "--days", "7")
    # then the output is the token alone, on one line
    assert out.endswith("\n")
    assert out.count("\n") == 1
    secret = out.strip()
    assert TOKEN.fullmatch(secret)
    # and it is the person's, named and expiring as asked, stored only as a digest
    token = ApiToken.objects.get(person=person)
    assert token.name == "backup script"
    assert round((token.expires_at - token.created_at) / timedelta(days=1)) == 7
    assert secret not in token.digest
    # and the API accepts it as that person
    response = me(secret)
    assert response.status_code == 200
    assert response.json()["email"] == "bot@example.test"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.test"], "Nobody signs in as nobody@example.test"),
        (["bot@example.test", "--days", "0"], "Choose between 1 and"),
        (["bot@example.test", "--name", "  "], "Give the token a name"),
    ],
)
def test_token_create_refuses_clearly_and_creates_nothing(args: list[str], message: str) -> None:
    make_person(email="bot@example.test")
    before = counts()
    with pytest.raises(CommandError, match=message):
        steward("token", "create", *args)
    assert counts() == before


@pytest.mark.django_db
def test_token_revoke_stops_the_token_working() -> None:
    make_person(email="bot@example.test")
    secret = steward("token", "create", "bot@example.test").strip()
    prefix = secret.split("_")[1]
    assert steward("token", "revoke", prefix) == f"Revoked {prefix}.\n"
    assert me(secret).status_code == 401
    with pytest.raises(CommandError, match="No token with prefix"):
        steward("token", "revoke", "000000000000")


# -- check ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_check_passes_on_a_healthy_install() -> None:
    worker.beat("worker-1")
    out = steward("stewardcheck")
    assert out.splitlines()[-3:] == [
        f"ok   database: {connection.vendor}",
        "ok   migrations: all applied",
        "ok   worker: 1 alive",
    ]


@pytest.mark.django_db
def test_check_fails_without_a_worker_unless_told_not_to_need_one() -> None:
    out = io.StringIO()
    with pytest.raises(CommandError, match="Steward is not ready."):
        call_command("stewardcheck", stdout=out)
    assert "FAIL worker: no worker heartbeat" in out.getvalue()
    assert "FAIL worker" not in steward("stewardcheck", "--no-worker")


# -- demo -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_loads_once_and_a_second_load_changes_nothing() -> None:
    # when the demo data is loaded, with a password for the demo people
    first = steward("demo", "--password", PASSWORD)
    loaded = counts()
    # then its people can sign in, and the load is on record as coming from the CLI
    assert re.fullmatch(r"Demo data loaded: \d+ people\.", first.splitlines()[0])
    sam = Person.objects.get(email=f"{STAFF[0][1]}@{DEMO_DOMAIN}")
    assert sam.check_password(PASSWORD)
    assert sam.has_role(RoleCode.AGENT)
    assert Team.objects.filter(name="Service Desk", members=sam).exists()
    assert set(AuditEntry.objects.values_list("source", flat=True)) == {"cli"}
    # when it is loaded again
    second = steward("demo")
    # then nothing changed
    assert second == "Demo data already present; nothing changed.\n"
    assert counts() == loaded


# -- the console script, as an operator's script runs it ------------------------------------


def console_script() -> list[str]:
    """The installed ``steward`` entry point (or the module, when not installed)."""
    installed = shutil.which("steward", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-m", "steward.cli"]


def clean_env(data_dir: Path) -> dict[str, str]:
    """The environment of a fresh embedded install: SQLite in ``data_dir``, nothing else set."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STEWARD_", "DJANGO_", "PROMETHEUS_", "PYTEST_"))
        and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env["STEWARD_DATA_DIR"] = str(data_dir)
    return env


API_PROBE = """
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
django.setup()
from django.test import Client
response = Client().get("/api/v1/people/me/", HTTP_AUTHORIZATION="Bearer " + sys.argv[1])
print(response.status_code, response.json().get("email"))
"""


def test_the_console_script_sets_up_an_install_without_prompts(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*console_script(), *args],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,  # a prompt would fail, not hang
            capture_output=True,
            text=True,
            timeout=120,
        )

    # given a fresh data directory, migrated
    migrated = run("manage", "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    # when a script creates an administrator and a token for them
    created = run("createadmin", "--email", "ops@example.test", "--password", PASSWORD)
    token = run("token", "create", "ops@example.test", "--name", "deploy")
    # then both succeed, and the token is all that was printed
    assert created.returncode == 0, created.stderr
    assert created.stdout == "Administrator ops@example.test is ready.\n"
    assert token.returncode == 0, token.stderr
    assert TOKEN.fullmatch(token.stdout.rstrip("\n"))
    assert token.stdout.count("\n") == 1
    # and the token authenticates against the API of that install
    probe = subprocess.run(
        [sys.executable, "-c", API_PROBE, token.stdout.strip()],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.stdout.split() == ["200", "ops@example.test"], probe.stderr
    # a refused administrator says why, in one line, with a failing exit code
    weak = run("createadmin", "--email", "x@example.test", "--password", "short")
    assert weak.returncode == 1
    assert "too short" in weak.stderr
    assert "Traceback" not in weak.stderr
    # check says what is missing (no worker has run yet), and passes without that need
    check = run("check")
    assert check.returncode == 1
    assert "FAIL worker" in check.stdout
    assert "Steward is not ready." in check.stderr
    relaxed = run("check", "--no-worker")
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
    assert "ok   migrations: all applied" in relaxed.stdout
    # and an unknown subcommand is a usage error
    unknown = run("frobnicate")
    assert unknown.returncode == 2
    assert "unknown command 'frobnicate'" in unknown.stderr


def test_generated_passwords_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the random source first yields a token that starts with a dash
    import secrets

    from steward.core.management.commands import run

    tokens = iter(["-starts-with-dash", "A-fine-password1"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n: next(tokens))
    # then the generator draws again rather than print something that reads as an option
    assert run.generated_password() == "A-fine-password1"


@pytest.mark.django_db
def test_createadmin_accepts_a_password_that_starts_with_a_dash() -> None:
    # a password an administrator chose may start with a dash; --password=VALUE carries it
    out = steward("createadmin", "--email", "dash@example.test", f"--password=-{PASSWORD}")
    assert "is ready" in out
    person = Person.objects.get(email="dash@example.test")
    assert person.check_password(f"-{PASSWORD}")
