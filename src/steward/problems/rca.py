"""The structured fields of each root-cause analysis method, checked and normalised.

Pure functions: ``clean(method, data)`` returns the analysis as stored (stripped strings, no
unknown keys) or raises ``RuleViolation`` naming what is wrong, field by field under
``rca_data``. The service calls it; forms and the API only collect the input.
"""

from __future__ import annotations

from typing import Any

from steward.core.errors import RuleViolation
from steward.problems.choices import KT_DIMENSIONS, FaultTreeGate, IshikawaCategory, RcaMethod

MAX_TEXT = 2000
MAX_ITEMS = 50
MAX_WHYS = 5


def _text(value: Any, where: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RuleViolation({"rca_data": f"{where}: write text."})
    value = value.strip()
    if required and not value:
        raise RuleViolation({"rca_data": f"{where}: required."})
    if len(value) > MAX_TEXT:
        raise RuleViolation({"rca_data": f"{where}: at most {MAX_TEXT} characters."})
    return value


def _texts(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleViolation({"rca_data": f"{where}: give a list."})
    if len(value) > MAX_ITEMS:
        raise RuleViolation({"rca_data": f"{where}: at most {MAX_ITEMS} entries."})
    items = [_text(item, where) for item in value]
    return [item for item in items if item]


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuleViolation({"rca_data": f"{where}: give an object."})
    return value


def _refuse_unknown(data: dict[str, Any], known: set[str], where: str = "") -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise RuleViolation(
            {"rca_data": f"{where}Unknown field(s) for this method: {', '.join(unknown)}."}
        )


def five_whys(data: dict[str, Any]) -> dict[str, Any]:
    """``{"problem_statement": str, "whys": [up to five answers, in order]}``."""
    _refuse_unknown(data, {"problem_statement", "whys"})
    whys = _texts(data.get("whys"), "Whys")
    if not whys:
        raise RuleViolation({"rca_data": "Whys: answer at least the first why."})
    if len(whys) > MAX_WHYS:
        raise RuleViolation({"rca_data": f"Whys: at most {MAX_WHYS}."})
    statement = _text(data.get("problem_statement"), "Problem statement", required=True)
    return {"problem_statement": statement, "whys": whys}


def ishikawa(data: dict[str, Any]) -> dict[str, Any]:
    """``{"effect": str, "causes": {category: [causes]}}`` over ``IshikawaCategory``."""
    _refuse_unknown(data, {"effect", "causes"})
    effect = _text(data.get("effect"), "Effect", required=True)
    causes = _mapping(data.get("causes"), "Causes")
    unknown = sorted(set(causes) - set(IshikawaCategory.values))
    if unknown:
        raise RuleViolation({"rca_data": f"Causes: unknown categories {', '.join(unknown)}."})
    cleaned = {
        category: _texts(causes.get(category), IshikawaCategory(category).label)
        for category in IshikawaCategory.values
    }
    cleaned = {category: items for category, items in cleaned.items() if items}
    if not cleaned:
        raise RuleViolation({"rca_data": "Causes: name at least one contributing cause."})
    return {"effect": effect, "causes": cleaned}


def kepner_tregoe(data: dict[str, Any]) -> dict[str, Any]:
    """A problem specification (what/where/when/extent, each "is" and "is not"), the
    possible causes, and the most probable one."""
    _refuse_unknown(data, {*KT_DIMENSIONS, "possible_causes", "most_probable_cause"})
    spec: dict[str, Any] = {}
    for key, label in KT_DIMENSIONS.items():
        part = _mapping(data.get(key), label)
        _refuse_unknown(part, {"is", "is_not"}, f"{label}: ")
        spec[key] = {
            "is": _text(part.get("is"), f"{label} is", required=key == "what"),
            "is_not": _text(part.get("is_not"), f"{label} is not"),
        }
    possible = _texts(data.get("possible_causes"), "Possible causes")
    probable = _text(data.get("most_probable_cause"), "Most probable cause", required=True)
    return {**spec, "possible_causes": possible, "most_probable_cause": probable}


def fault_tree(data: dict[str, Any]) -> dict[str, Any]:
    """``{"top_event": str, "nodes": [{"id", "label", "gate", "parent"}]}``: a tree of
    events under the top event (``parent`` empty: directly under it). Ids are unique,
    parents exist and are gates (not basic events), and no event is its own ancestor."""
    _refuse_unknown(data, {"top_event", "nodes"})
    top = _text(data.get("top_event"), "Top event", required=True)
    raw = data.get("nodes") or []
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        raise RuleViolation({"rca_data": f"Events: give a list of at most {MAX_ITEMS}."})
    if not raw:
        raise RuleViolation({"rca_data": "Events: add at least one event under the top event."})
    nodes: list[dict[str, str]] = []
    for item in raw:
        node = _mapping(item, "Event")
        _refuse_unknown(node, {"id", "label", "gate", "parent"}, "Event: ")
        node_id = _text(node.get("id"), "Event id", required=True)
        gate = _text(node.get("gate") or FaultTreeGate.BASIC, f"Event {node_id} gate")
        if gate not in FaultTreeGate.values:
            raise RuleViolation({"rca_data": f"Event {node_id}: unknown gate {gate!r}."})
        nodes.append(
            {
                "id": node_id,
                "label": _text(node.get("label"), f"Event {node_id} label", required=True),
                "gate": gate,
                "parent": _text(node.get("parent"), f"Event {node_id} parent"),
            }
        )
    by_id = {node["id"]: node for node in nodes}
    if len(by_id) != len(nodes):
        raise RuleViolation({"rca_data": "Events: every event needs its own id."})
    for node in nodes:
        parent = node["parent"]
        if not parent:
            continue
        if parent not in by_id:
            raise RuleViolation({"rca_data": f"Event {node['id']}: no event {parent!r} above it."})
        if by_id[parent]["gate"] == FaultTreeGate.BASIC:
            raise RuleViolation(
                {"rca_data": f"Event {parent} is a basic event: nothing can be under it."}
            )
        seen = {node["id"]}
        while parent:
            if parent in seen:
                raise RuleViolation({"rca_data": f"Event {node['id']} is its own ancestor."})
            seen.add(parent)
            parent = by_id[parent]["parent"]
    return {"top_event": top, "nodes": nodes}


CLEANERS = {
    RcaMethod.FIVE_WHYS: five_whys,
    RcaMethod.ISHIKAWA: ishikawa,
    RcaMethod.KEPNER_TREGOE: kepner_tregoe,
    RcaMethod.FAULT_TREE: fault_tree,
}


def clean(method: str, data: Any) -> dict[str, Any]:
    """The analysis ``data`` for ``method``, checked and normalised."""
    if method not in RcaMethod.values:
        raise RuleViolation({"rca_method": f"Unknown method {method!r}."})
    if not isinstance(data, dict):
        raise RuleViolation({"rca_data": "Give the analysis as an object."})
    return CLEANERS[RcaMethod(method)](data)


def tree_rows(data: dict[str, Any]) -> list[tuple[int, dict[str, str]]]:
    """A fault tree's events in display order, each with its depth under the top event."""
    nodes = data.get("nodes") or []
    children: dict[str, list[dict[str, str]]] = {}
    for node in nodes:
        children.setdefault(node.get("parent") or "", []).append(node)
    rows: list[tuple[int, dict[str, str]]] = []

    def walk(parent: str, depth: int) -> None:
        for node in children.get(parent, []):
            rows.append((depth, node))
            walk(node["id"], depth + 1)

    walk("", 1)
    return rows
