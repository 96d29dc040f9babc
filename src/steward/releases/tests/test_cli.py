"""``steward dml``: register a file, verify files (exit 1 on mismatch or unknown), list."""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from steward.releases.choices import VerificationResult
from steward.releases.models import DmlArtefact, DmlVerification
from steward.releases.tests.factories import make_release_manager

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("dml", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def build(tmp_path: Path) -> Path:
    path = tmp_path / "portal-1.0.tgz"
    path.write_bytes(b"portal build\n" * 10_000)
    return path


def _register(build: Path, *extra: str) -> str:
    return _run(
        "register", str(build), "--name", "portal", "--version", "1.0",
        "--licence", "MIT", "--location", "s3://dml/portal-1.0.tgz", *extra,
    )  # fmt: skip


def test_register_computes_the_checksum_of_the_file(build: Path) -> None:
    manager = make_release_manager(email="kim@example.test")
    out = _register(build, "--as", manager.email)
    artefact = DmlArtefact.objects.get()
    assert artefact.checksum == hashlib.sha256(build.read_bytes()).hexdigest()
    assert artefact.size_bytes == build.stat().st_size
    assert artefact.registered_by == manager
    assert "Registered portal@1.0 (draft)" in out
    with pytest.raises(CommandError, match="already in the library"):
        _register(build)


def test_verify_exits_0_on_a_match_and_1_on_a_mismatch_or_unknown_file(
    build: Path, tmp_path: Path
) -> None:
    _register(build)
    assert "OK:" in _run("verify", str(build), "--artefact", "portal@1.0")
    assert "matches portal@1.0" in _run("verify", str(build))  # found by checksum
    tampered = tmp_path / "tampered.tgz"
    tampered.write_bytes(build.read_bytes() + b"!")
    with pytest.raises(CommandError, match="MISMATCH") as mismatch:
        _run("verify", str(tampered), "--artefact", "portal@1.0")
    assert mismatch.value.returncode == 1
    with pytest.raises(CommandError, match="UNKNOWN") as unknown:
        _run("verify", str(tampered))
    assert unknown.value.returncode == 1
    with pytest.raises(CommandError, match="No artefact portal@2.0"):
        _run("verify", str(build), "--artefact", "portal@2.0")
    with pytest.raises(CommandError, match="No such file"):
        _run("verify", str(tmp_path / "missing"))
    results = list(DmlVerification.objects.order_by("id").values_list("result", flat=True))
    assert results == [
        VerificationResult.MATCH,
        VerificationResult.MATCH,
        VerificationResult.MISMATCH,
        VerificationResult.UNKNOWN,
    ]


def test_list_prints_the_library(build: Path) -> None:
    _register(build)
    assert "portal@1.0  draft" in _run("list")
    rows = json.loads(_run("list", "--json", "--state", "draft"))
    assert [(r["name"], r["version"]) for r in rows] == [("portal", "1.0")]
    assert json.loads(_run("list", "--json", "--state", "approved")) == []


def test_the_steward_command_knows_dml() -> None:
    from steward import cli

    assert cli.SUBCOMMANDS["dml"] == "dml"
    assert "steward dml verify" in (cli.__doc__ or "")
