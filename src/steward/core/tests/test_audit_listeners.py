"""Audit listeners: higher layers hear every audited change, inside its transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from steward.accounts.models import Organisation
from steward.core import audit
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    monkeypatch.setattr(audit, "_listeners", [])
    audit.listen(lambda entry, obj: seen.append((entry.action, obj)))
    return seen


def test_a_listener_hears_each_entry_with_its_object(heard: list[tuple[str, Any]]) -> None:
    org = Organisation.objects.create(name="Acme")
    audit.record(actor=None, action="organisation.created", obj=org)
    assert heard == [("organisation.created", org)]


def test_listening_twice_is_hearing_once(heard: list[tuple[str, Any]]) -> None:
    def listener(entry: AuditEntry, obj: Any) -> None:
        heard.append(("again", obj))

    audit.listen(listener)
    audit.listen(listener)
    org = Organisation.objects.create(name="Acme")
    audit.record(actor=None, action="organisation.created", obj=org)
    assert [action for action, _ in heard] == ["organisation.created", "again"]


def test_a_failing_listener_rolls_the_change_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_listeners", [])

    def refuse(entry: AuditEntry, obj: Any) -> None:
        raise RuntimeError("listener failed")

    audit.listen(refuse)
    with pytest.raises(RuntimeError), transaction.atomic():
        org = Organisation.objects.create(name="Acme")
        audit.record(actor=None, action="organisation.created", obj=org)
    assert not Organisation.objects.filter(name="Acme").exists()
    assert not AuditEntry.objects.filter(action="organisation.created").exists()


def test_entries_written_together_are_heard_one_by_one(heard: list[tuple[str, Any]]) -> None:
    first = Organisation.objects.create(name="Acme", code="acme")
    second = Organisation.objects.create(name="Globex", code="globex")
    entries = audit.record_many(
        [
            {"actor": None, "action": "organisation.checked", "obj": first},
            {"actor": None, "action": "organisation.checked", "obj": second, "changes": {"n": 2}},
        ]
    )
    assert [e.pk is not None for e in entries] == [True, True]
    assert heard == [("organisation.checked", first), ("organisation.checked", second)]
    stored = AuditEntry.objects.filter(action="organisation.checked").order_by("id")
    assert [(e.object_id, e.changes, e.actor_label) for e in stored] == [
        (str(first.pk), {}, "system"),
        (str(second.pk), {"n": 2}, "system"),
    ]
