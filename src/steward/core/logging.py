"""Structured JSON logs that carry the request id and source of the action."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from steward.core import context

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class RequestContextFilter(logging.Filter):
    """Stamp every record with the current request id and source."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context.current()
        # Django logs 4xx/5xx answers ("django.request") after the middleware has left the
        # request's context, but passes the request along: take the id from there.
        from_request = getattr(getattr(record, "request", None), "request_id", None)
        record.request_id = (
            getattr(record, "request_id", None) or from_request or ctx.request_id or "-"
        )
        record.source = getattr(record, "source", None) or ctx.source
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "source": getattr(record, "source", "system"),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in payload:
                payload[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)
