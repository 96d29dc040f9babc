"""Who is acting, from where, in which request: carried through a context variable.

Every entrance sets it (middleware for web/API, the CLI, the task runner) so the audit log
and the logs can name the source and the request id without passing them through every call.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace

SOURCES = ("web", "api", "email", "cli", "task", "import", "system")


@dataclass(frozen=True)
class ActionContext:
    """The source (web, api, email, cli, task, import, system) and request id of an action."""

    source: str = "system"
    request_id: str = ""
    remote_addr: str = ""


_DEFAULT = ActionContext()
_current: ContextVar[ActionContext] = ContextVar("steward_action_context", default=_DEFAULT)


def current() -> ActionContext:
    """The context of the action running now."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def acting(source: str, request_id: str = "", remote_addr: str = "") -> Iterator[ActionContext]:
    """Run a block as coming from ``source``; nested blocks inherit unset values."""
    if source not in SOURCES:
        raise ValueError(f"Unknown source {source!r}")
    outer = _current.get()
    ctx = replace(
        outer,
        source=source,
        request_id=request_id or outer.request_id or new_request_id(),
        remote_addr=remote_addr or outer.remote_addr,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
