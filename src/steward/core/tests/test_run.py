"""End to end: ``steward run`` on a fresh data directory, stopped, and started again.

This starts the real thing (migrations, gunicorn, the worker) twice, so it takes some
seconds (about 15-25 s), well within a minute. Everything lives in a temporary data
directory on a free port, with ``HOME`` pointed there too (gunicorn keeps a control
socket under ``~/.gunicorn``), so it cannot disturb anything else running on the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

# A first start migrates every app and loads the demo: generous, since CI shares two cores.
START_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def console_script() -> list[str]:
    installed = shutil.which("steward", path=str(Path(sys.executable).parent))
    return [installed] if installed else [sys.executable, "-m", "steward.cli"]


class Install:
    """One data directory, started and stopped with ``steward run`` as an operator would."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.runs = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.output = root / "none.txt"
        self.port = 0

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("STEWARD_", "DJANGO_", "PROMETHEUS_", "PYTEST_"))
            and key not in {"DATABASE_URL", "SECRET_KEY", "HOST", "PORT"}
        }
        env.update(
            STEWARD_DATA_DIR=str(self.data),
            PORT=str(self.port),
            HOME=str(self.root),
            PYTHONUNBUFFERED="1",
            STEWARD_SCHEDULER_INTERVAL="1",
        )
        return env

    def start(self) -> None:
        self.runs += 1
        self.port = free_port()
        self.output = self.root / f"run-{self.runs}.out"
        with self.output.open("wb") as out, (self.root / f"run-{self.runs}.err").open("wb") as err:
            self.process = subprocess.Popen(
                [*console_script(), "run", "--web-workers", "1"],
                env=self.env(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group, as a terminal would give it
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def printed(self) -> str:
        return self.output.read_text(errors="replace")

    def errors(self, tail: int | None = 4000) -> str:
        """What this run wrote to stderr (gunicorn's lines, the JSON log), its end by default."""
        text = (self.root / f"run-{self.runs}.err").read_text(errors="replace")
        return text[-tail:] if tail else text

    def wait_ready(self) -> httpx.Response:
        """Poll ``/readyz`` until it answers 200 (web up, migrations applied, worker beating)."""
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        last: httpx.Response | None = None
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"steward run exited early:\n{self.errors()}"
            try:
                last = httpx.get(f"{self.url}/readyz", timeout=2)
            except httpx.TransportError:
                last = None
            # (and it is ours: gunicorn bound the port, nobody else answers on it)
            if last is not None and last.status_code == 200:
                assert f"Listening at: {self.url}" in self.errors(tail=None), self.errors()
                return last
            time.sleep(0.25)
        detail = last.text if last is not None else "no answer"
        pytest.fail(f"/readyz not 200 within {START_TIMEOUT}s: {detail}\n{self.errors()}")

    def interrupt(self, *, whole_group: bool) -> int:
        """Ctrl-C (SIGINT to the process group) or SIGINT to ``steward run`` alone."""
        assert self.process is not None
        group = self.process.pid  # start_new_session: the group is named after it
        if whole_group:
            os.killpg(group, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=STOP_TIMEOUT)
        deadline = time.monotonic() + STOP_TIMEOUT
        while group_alive(group):
            assert time.monotonic() < deadline, "web server or worker outlived steward run"
            time.sleep(0.1)
        return code

    def kill(self) -> None:
        """After a failure: end whatever of this run is left (its group is its own pid)."""
        if self.process is None:
            return
        if self.process.poll() is None or group_alive(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def sign_in(url: str, email: str, password: str) -> tuple[int, int | None]:
    """Sign in through the web form: the form's answer, and then the home page's status."""
    with httpx.Client(base_url=url, timeout=20) as browser:
        form = browser.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token is not None, form.text[:500]
        answer = browser.post(
            "/accounts/login/",
            data={
                "username": email,
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
            },
        )
        if answer.status_code != 302:
            return answer.status_code, None
        return answer.status_code, browser.get("/").status_code


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    installed = Install(tmp_path)
    yield installed
    installed.kill()


def test_steward_run_starts_stops_and_keeps_its_data(install: Install) -> None:
    # when steward run starts on an empty data directory
    install.start()
    ready = install.wait_ready()
    # then it becomes ready, the worker's heartbeat included
    assert ready.json()["checks"]["worker"]["ok"] is True
    # and it printed where it runs and the administrator's one-time password
    printed = install.printed()
    assert f"Steward is running at {install.url}" in printed
    email = re.search(r"e-mail:\s+(\S+)", printed)
    password = re.search(r"password:\s+(\S+)", printed)
    assert email is not None and password is not None, printed
    assert sign_in(install.url, email.group(1), password.group(1)) == (302, 200), install.errors()
    assert sign_in(install.url, email.group(1), password.group(1) + "x") == (200, None)

    # when the operator presses Ctrl-C
    code = install.interrupt(whole_group=True)
    # then web server and worker are gone (the process group is empty), cleanly
    assert code == 0, install.errors()
    assert "Steward stopped." in install.printed()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{install.url}/healthz", timeout=2)

    # when it starts again on the same data directory
    install.start()
    install.wait_ready()
    # then the data was kept: no new administrator, no new password, the old one still works
    again = install.printed()
    assert "Existing data kept." in again
    assert "password:" not in again
    assert f"Steward is running at {install.url}" in again
    assert sign_in(install.url, email.group(1), password.group(1)) == (302, 200), install.errors()

    # and SIGINT to steward run alone (as a supervisor sends it) stops both as well
    assert install.interrupt(whole_group=False) == 0, install.errors()
