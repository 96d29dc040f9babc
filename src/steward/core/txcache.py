"""Values read once per database transaction.

Some reads repeat within one business transaction without changing in between: the active
process profile (asked for by the create, the transition and its effects), a notification
template (asked for by each e-mail one change queues). ``memo`` keeps such a value for the
rest of the outermost transaction running on this thread; outside a transaction it keeps
nothing. A writer that changes such a value calls ``forget`` with its key.

The store belongs to the outermost atomic block itself (held, not compared by id), so a later
transaction never sees an earlier one's values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

_T = TypeVar("_T")
_local = threading.local()


def store(using: str = DEFAULT_DB_ALIAS) -> dict[Any, Any] | None:
    """This transaction's store, or ``None`` outside a transaction."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return None
    outermost = connection.atomic_blocks[0]
    held: tuple[Any, dict[Any, Any]] | None = getattr(_local, "held", None)
    if held is None or held[0] is not outermost:
        held = (outermost, {})
        _local.held = held
    return held[1]


def memo(key: Any, compute: Callable[[], _T]) -> _T:
    """``compute()``, once per transaction for ``key``."""
    values = store()
    if values is None:
        return compute()
    if key not in values:
        values[key] = compute()
    return values[key]  # type: ignore[no-any-return]


def forget(key: Any) -> None:
    """Compute ``key`` again at its next use in this transaction."""
    values = store()
    if values is not None:
        values.pop(key, None)
