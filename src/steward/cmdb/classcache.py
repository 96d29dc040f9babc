"""The class library as read within one transaction.

Validating a CI reads its class's lineage and attribute definitions, and checking a
relationship reads which classes its type allows; an import of ten thousand rows asks the
same few questions ten thousand times. ``remember`` keeps each answer for the rest of the
outermost transaction (``core.txcache``); every service that changes a class, an attribute
definition or a relationship type calls ``forget`` (through :func:`changes_classes`), so a
transaction never validates against a library it has since changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from steward.core import txcache

KEY = "cmdb.classes"
_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


def remember(key: Hashable, compute: Callable[[], _T]) -> _T:
    """``compute()`` once per transaction for ``key`` (every time outside one)."""
    answers: dict[Hashable, Any] = txcache.memo(KEY, dict)
    if key not in answers:
        answers[key] = compute()
    return answers[key]


def forget() -> None:
    txcache.forget(KEY)


def changes_classes(service: _F) -> _F:
    """For services that write the class library: forget before and after."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        forget()
        try:
            return service(*args, **kwargs)
        finally:
            forget()

    return wrapper  # type: ignore[return-value]
