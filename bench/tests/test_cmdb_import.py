"""The CMDB import benchmark at a tiny size: everything created once, nothing the second time."""

from __future__ import annotations

import pytest

from bench.cmdb_import import make_csv, run


def test_the_file_has_the_rows_asked_for() -> None:
    assert make_csv(cis=30, seed=1).decode().count("\n") == 31


@pytest.mark.django_db
def test_import_then_reimport_changes_nothing() -> None:
    figures = run(cis=30, seed=2)
    assert figures["first"]["created"] == 30
    assert figures["first"]["relationships_created"] == 20
    assert figures["first"]["errors"] == 0
    again = figures["again"]
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 30)
