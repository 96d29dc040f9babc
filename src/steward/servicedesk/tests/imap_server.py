"""A private Dovecot IMAP server for the tests: its own config, port, users and maildirs.

``imap_server`` starts ``dovecot -F`` with a configuration written to a temporary directory
(listening on 127.0.0.1 on a free port, plain-text login without TLS, one passwd-file user, a
maildir under the temporary directory, its own ``base_dir`` so it never touches a system
instance), waits until it greets, and stops it at teardown. Without Dovecot the tests are
skipped, unless ``CI=true`` or ``STEWARD_REQUIRE_IMAP=1``: then they fail. Debian's
``dovecot-imapd`` provides it (``.ci/run`` installs it).
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "desk"
PASSWORD = "desk-secret-pass"
START_TIMEOUT = 15.0


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            status, data = client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert status == "OK", data
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> list[bytes]:
        """The flags of every message in ``folder``, in order."""
        client = self.client()
        try:
            client.select(folder, readonly=True)
            status, data = client.fetch("1:*", "(FLAGS)")
            return [item for item in data if isinstance(item, bytes)] if status == "OK" else []
        finally:
            client.logout()

    def count(self, folder: str = "INBOX") -> int:
        client = self.client()
        try:
            status, data = client.select(folder, readonly=True)
            return int(data[0] or 0) if status == "OK" else 0
        finally:
            client.logout()


def require_imap() -> bool:
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    return ci or os.environ.get("STEWARD_REQUIRE_IMAP") == "1"


def _unavailable(reason: str) -> None:
    if require_imap():
        pytest.fail(f"{reason} (required with CI=true or STEWARD_REQUIRE_IMAP=1)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _accounts() -> tuple[str, str, str, int, int]:
    """(internal user, its group, login user, mail uid, mail gid). Dovecot refuses to run its
    login processes as root: as root, use the unprivileged users Debian's package creates."""
    if os.getuid() != 0:
        user = pwd.getpwuid(os.getuid()).pw_name
        return user, grp.getgrgid(os.getgid()).gr_name, user, os.getuid(), os.getgid()
    internal = pwd.getpwnam("dovecot")
    login = pwd.getpwnam("dovenull")
    group = grp.getgrgid(internal.pw_gid).gr_name
    return internal.pw_name, group, login.pw_name, internal.pw_uid, internal.pw_gid


def _config(root: Path, port: int) -> str:
    user, group, login, uid, gid = _accounts()
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = steward-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Processed {{
    auto = create
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    process.kill()
    _unavailable(f"Dovecot did not start on port {port}: {detail}")


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """A fresh Dovecot with an empty mailbox for user ``desk``."""
    binary = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )
    if binary is None:
        _unavailable("Dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    assert binary is not None
    try:
        _user, _group, _login, uid, gid = _accounts()
    except KeyError:
        _unavailable("running as root, but Debian's dovecot/dovenull users are missing")
        raise
    # Not under pytest's private (0700) temporary root: the mail processes run as ``uid``.
    root = Path(tempfile.mkdtemp(prefix="steward-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "mail", "home"):
        (root / name).mkdir()
    for name in ("mail", "home"):
        os.chown(root / name, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (root / "passwd").chmod(0o644)
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(_config(root, port))
    process = subprocess.Popen(
        [binary, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait(port, process, root / "dovecot.log")
        yield ImapServer("127.0.0.1", port, USER, PASSWORD)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)
