"""Settings come from the environment, and production refuses to start unsafely.

Settings are read once per process, so each case starts a fresh Python with its own
environment (a fraction of a second each).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

STRONG_KEY = secrets.token_urlsafe(64)
SETUP = (
    "import json, os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
    "'steward.config.settings'); django.setup()\n"
)


def clean_env(data_dir: Path, **values: str) -> dict[str, str]:
    """The process environment without any Steward/Django settings, plus ``values``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STEWARD_", "DJANGO_", "PROMETHEUS_", "PYTEST_"))
        and key not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env["STEWARD_DATA_DIR"] = str(data_dir)
    env.update(values)
    return env


def production_env(data_dir: Path, **values: str) -> dict[str, str]:
    production = {
        "STEWARD_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "STEWARD_ALLOWED_HOSTS": "steward.example.org",
        "STEWARD_CSRF_TRUSTED_ORIGINS": "https://steward.example.org",
    }
    return clean_env(data_dir, **{**production, **values})


def python(code: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SETUP + code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def steward(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    installed = shutil.which("steward", path=str(Path(sys.executable).parent))
    command = [installed] if installed else [sys.executable, "-m", "steward.cli"]
    return subprocess.run(
        [*command, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


# -- production refuses unsafe settings -----------------------------------------------------

WEAK_KEYS = {
    "missing": None,
    "empty": "",
    "short": "changeme",
    "repetitive": "a" * 64,
    "the development kind": "insecure-" + secrets.token_urlsafe(64),
}


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_production_refuses_to_start_without_a_strong_secret_key(
    tmp_path: Path, key: str | None
) -> None:
    env = production_env(tmp_path)
    if key is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = key
    started = python("print('started')", env, tmp_path)
    assert started.returncode != 0
    assert "started" not in started.stdout
    assert "Production mode needs a real SECRET_KEY (at least 50 random characters)." in (
        started.stderr
    )
    # and nothing was written for it: production never generates a key of its own
    assert not (tmp_path / "secret_key").exists()


def test_the_steward_command_reports_a_bad_configuration_in_one_line(tmp_path: Path) -> None:
    checked = steward("check", env=production_env(tmp_path, SECRET_KEY="changeme"), cwd=tmp_path)
    assert checked.returncode == 2
    assert checked.stderr == (
        "steward: configuration error: "
        "Production mode needs a real SECRET_KEY (at least 50 random characters).\n"
    )


def test_production_refuses_debug(tmp_path: Path) -> None:
    started = python("", production_env(tmp_path, STEWARD_DEBUG="1"), tmp_path)
    assert started.returncode != 0
    assert "STEWARD_DEBUG must be off in production" in started.stderr


def test_an_unknown_environment_name_is_refused(tmp_path: Path) -> None:
    started = python("", clean_env(tmp_path, STEWARD_ENV="prod"), tmp_path)
    assert started.returncode != 0
    assert "STEWARD_ENV must be development, production or test" in started.stderr


def test_production_passes_the_deploy_checks(tmp_path: Path) -> None:
    # given production settings with a strong key, allowed hosts and trusted origins
    env = production_env(tmp_path)
    # when Django's deployment checks run, failing even on warnings
    checked = steward(
        "manage", "check", "--deploy", "--fail-level", "WARNING", env=env, cwd=tmp_path
    )
    # then they pass
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout
    # and they have teeth: turning HTTPS redirects off is reported
    relaxed = steward(
        "manage",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**env, "STEWARD_SSL_REDIRECT": "0"},
        cwd=tmp_path,
    )
    assert relaxed.returncode != 0
    assert "security.W008" in relaxed.stderr


def test_production_hardening_is_on(tmp_path: Path) -> None:
    shown = python(
        "from django.conf import settings as s\n"
        "print(json.dumps({name: getattr(s, name) for name in ["
        "'DEBUG', 'ALLOWED_HOSTS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', "
        "'CSRF_TRUSTED_ORIGINS']}))",
        production_env(tmp_path),
        tmp_path,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "DEBUG": False,
        "ALLOWED_HOSTS": ["steward.example.org"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "CSRF_TRUSTED_ORIGINS": ["https://steward.example.org"],
    }


# -- the database ---------------------------------------------------------------------------

SHOW_DATABASE = (
    "import json\n"
    "from django.conf import settings as s\n"
    "db = s.DATABASES['default']\n"
    "print(json.dumps({k: db.get(k) for k in "
    "['ENGINE', 'NAME', 'USER', 'PASSWORD', 'HOST', 'PORT', 'CONN_MAX_AGE']}))\n"
)


def test_database_url_is_honoured(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path,
        DATABASE_URL="postgres://steward:s3cret@db.internal:6432/itsm",
        STEWARD_DB_CONN_MAX_AGE="30",
    )
    shown = python(SHOW_DATABASE, env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "itsm",
        "USER": "steward",
        "PASSWORD": "s3cret",
        "HOST": "db.internal",
        "PORT": 6432,
        "CONN_MAX_AGE": 30,
    }


def test_a_sqlite_database_url_is_used_where_it_points(tmp_path: Path) -> None:
    # given a DATABASE_URL naming a SQLite file outside the data directory
    target = tmp_path / "elsewhere" / "itsm.sqlite3"
    env = clean_env(tmp_path / "data", DATABASE_URL=f"sqlite:///{target}")
    # when Steward connects
    used = python(
        "from django.db import connection\nconnection.ensure_connection()\n"
        "print(connection.settings_dict['NAME'])",
        env,
        tmp_path,
    )
    # then that file is the database, and the data directory holds none
    assert used.returncode == 0, used.stderr
    assert used.stdout.strip() == str(target)
    assert target.exists()
    assert not (tmp_path / "data" / "steward.sqlite3").exists()


def test_the_embedded_sqlite_database_uses_wal(tmp_path: Path) -> None:
    # given no DATABASE_URL at all: the embedded default in the data directory
    env = clean_env(tmp_path / "data")
    # when Steward connects
    pragmas = python(
        "import json\nfrom django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    values = {}\n"
        "    for name in ('journal_mode', 'synchronous', 'foreign_keys', 'busy_timeout'):\n"
        "        values[name] = c.execute(f'PRAGMA {name}').fetchone()[0]\n"
        "print(json.dumps({'name': str(connection.settings_dict['NAME']), **values}))",
        env,
        tmp_path,
    )
    # then the database file lives there, in WAL mode, waiting for locks rather than failing
    assert pragmas.returncode == 0, pragmas.stderr
    assert json.loads(pragmas.stdout) == {
        "name": str(tmp_path / "data" / "steward.sqlite3"),
        "journal_mode": "wal",
        "synchronous": 1,  # NORMAL
        "foreign_keys": 1,
        "busy_timeout": 20000,
    }


def test_development_keeps_its_generated_secret_key_across_restarts(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")
    show = "from django.conf import settings\nprint(settings.SECRET_KEY)"
    first, second = python(show, env, tmp_path), python(show, env, tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "data" / "secret_key"
    assert first.stdout == second.stdout
    assert first.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
