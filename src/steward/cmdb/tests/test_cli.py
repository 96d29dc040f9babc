"""``steward cmdb``: the class library and impact analysis from the command line."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from steward.cmdb.choices import CITypeKind, ImpactDirection
from steward.cmdb.models import CIType
from steward.cmdb.tests.factories import (
    make_ci,
    make_ci_type,
    make_relationship,
    make_relationship_type,
)

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("cmdb", *args, stdout=out)
    return out.getvalue()


def test_library_installs_the_default_classes() -> None:
    assert "classes added" in _run("library")
    assert CIType.objects.filter(code="virtual_server", parent__code="server").exists()


def test_impact_prints_what_a_ci_affects() -> None:
    service = make_ci(name="Payroll", ci_type=make_ci_type(kind=CITypeKind.BUSINESS_SERVICE))
    app, host = make_ci(name="payroll-app"), make_ci(name="host-7")
    make_relationship(source=app, type=make_relationship_type(), target=host)
    provides = make_relationship_type(impact=ImpactDirection.TO_TARGET)
    make_relationship(source=app, type=provides, target=service)
    text = _run("impact", "host-7", "--depth", "5")
    assert "host-7: 2 CI(s) downstream" in text
    assert "  Payroll" in text
    data = json.loads(_run("impact", str(app.pk), "--upstream", "--json"))
    assert [i["name"] for i in data["items"]] == ["host-7"]
    with pytest.raises(CommandError):
        _run("impact", "nothing-like-this")
    with pytest.raises(CommandError):
        _run("impact", "host-7", "--depth", "0")


def test_import_reports_dry_runs_and_refuses_bad_rows(tmp_path: Any) -> None:
    from steward.cmdb import library
    from steward.cmdb.models import ConfigurationItem

    library.install()
    good = tmp_path / "cis.csv"
    good.write_text("class,name,serial_number\nserver,s1,A\nserver,s2,B\n", encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("cmdb", "import", str(good), "--dry-run", stdout=out, stderr=err)
    assert "2 created" in out.getvalue() and "would be applied" in out.getvalue()
    assert "100% 2/2" in err.getvalue()
    assert not ConfigurationItem.objects.exists()
    assert "2 created" in _run("import", str(good))
    assert "0 created, 0 updated, 2 unchanged" in _run("import", str(good))
    bad = tmp_path / "bad.json"
    bad.write_text('[{"class": "server", "name": "s3"}, {"class": "nope", "name": "x"}]')
    with pytest.raises(SystemExit):
        call_command("cmdb", "import", str(bad), stdout=StringIO(), stderr=StringIO())
    assert not ConfigurationItem.objects.filter(name="s3").exists()
    with pytest.raises(CommandError):
        _run("import", str(tmp_path / "missing.csv"))
