"""XES (IEEE 1849-2016): ``log`` > ``trace`` (one per ticket) > ``event``, with the standard
extensions concept, time, organizational and lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from django.db.models import QuerySet

from steward.governance.services.lifecycle import Case, Event, Kind, cases

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="UNKNOWN"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="UNKNOWN"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00+00:00"/>
    <string key="org:resource" value="UNKNOWN"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
"""


def _attribute(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return f'<boolean key={quoteattr(key)} value="{"true" if value else "false"}"/>'
    if isinstance(value, int):
        return f'<int key={quoteattr(key)} value="{value}"/>'
    if isinstance(value, float):
        return f'<float key={quoteattr(key)} value="{value}"/>'
    if isinstance(value, datetime):
        return f'<date key={quoteattr(key)} value="{value.isoformat()}"/>'
    return f"<string key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _event(event: Event) -> str:
    parts = [
        _attribute("concept:name", event.activity),
        _attribute("time:timestamp", event.at),
        _attribute("org:resource", event.resource),
        _attribute("lifecycle:transition", "complete"),
        _attribute("steward:entry", event.entry_id),
    ]
    parts += [_attribute(k, v) for k, v in event.attributes.items() if v is not None]
    return "    <event>" + "".join(parts) + "</event>\n"


def _trace(case: Case) -> str:
    head = [
        _attribute("concept:name", case.number),
        _attribute("priority", case.priority),
        _attribute("state", case.state),
        _attribute("opened", case.opened_at),
    ]
    return (
        "  <trace>"
        + "".join(head)
        + "\n"
        + "".join(_event(e) for e in case.events)
        + "  </trace>\n"
    )


def chunks(kind: Kind, tickets: QuerySet[Any]) -> Iterator[str]:
    """The XES document, a trace at a time."""
    yield HEAD
    yield f"  {_attribute('concept:name', f'Steward {kind.name} lifecycles')}\n"
    for case in cases(kind, tickets):
        yield _trace(case)
    yield "</log>\n"
