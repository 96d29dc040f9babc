"""Record numbers: a prefix and a zero-padded sequence per kind (``INC0001042``).

Numbers are unique and never handed out twice, also under concurrent creation, and no writer
waits for another to commit:

* PostgreSQL: one database sequence per name (``nextval`` is outside transactions: it never
  blocks and never repeats; a rolled-back creation leaves a gap, as every ITSM tool's does).
* SQLite: a counter row updated in the creating transaction. SQLite has one writer at a time
  anyway, so this adds no wait; a rolled-back creation takes its number back with it, and the
  number was never visible to anybody.
"""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.db.models import F
from django.db.utils import DatabaseError

from steward.core.models import NumberSequence

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def _sequence(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"Bad sequence name {name!r}")
    return f"steward_number_{name}"


def next_value(name: str) -> int:
    """The next value of the sequence ``name`` (created on first use)."""
    if connection.vendor == "postgresql":
        return _next_postgres(_sequence(name))
    return _next_counter(name)


def format_number(prefix: str, value: int, width: int = 7) -> str:
    return f"{prefix}{value:0{width}d}"


def next_number(name: str, prefix: str, width: int = 7) -> str:
    return format_number(prefix, next_value(name), width)


def _next_postgres(sequence: str) -> int:
    for _ in range(2):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT nextval(%s)", [sequence])
                row = cursor.fetchone()
                assert row is not None
                return int(row[0])
        except DatabaseError:
            # The sequence does not exist yet. Two creators may race here; the loser's
            # CREATE fails harmlessly and both then use the one sequence.
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{sequence}"')
            except DatabaseError:
                pass
    raise RuntimeError(f"Cannot use the sequence {sequence}")


def _next_counter(name: str) -> int:
    with transaction.atomic():
        updated = NumberSequence.objects.filter(name=name).update(last_value=F("last_value") + 1)
        if not updated:
            NumberSequence.objects.get_or_create(name=name, defaults={"last_value": 0})
            NumberSequence.objects.filter(name=name).update(last_value=F("last_value") + 1)
        value = NumberSequence.objects.filter(name=name).values_list("last_value", flat=True)
        return int(value.get())


def restart_after(name: str, value: int) -> None:
    """Make the next number follow ``value`` at least (after importing numbered records)."""
    if connection.vendor == "postgresql":
        sequence = _sequence(name)
        current = next_value(name)
        if current <= value:
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(%s, %s)", [sequence, value])
        return
    NumberSequence.objects.get_or_create(name=name, defaults={"last_value": 0})
    NumberSequence.objects.filter(name=name, last_value__lt=value).update(last_value=value)
