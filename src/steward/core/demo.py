"""Demo data beyond people: apps register a loader at start-up; ``steward demo`` and the first
``steward run`` call them, in registration order, after the people and teams exist."""

from __future__ import annotations

from collections.abc import Callable

Loader = Callable[[], str]

_loaders: dict[str, Loader] = {}


def register(name: str, loader: Loader) -> None:
    """``loader()`` creates its demo records (idempotently) and returns a one-line summary."""
    _loaders[name] = loader


def load_all() -> list[str]:
    return [loader() for loader in _loaders.values()]
