"""The structured fields of each analysis method (pure functions, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from steward.core.errors import RuleViolation
from steward.problems import rca


def refusal(method: str, data: Any) -> str:
    with pytest.raises(RuleViolation) as caught:
        rca.clean(method, data)
    return " ".join(caught.value.messages)


def test_five_whys_keeps_the_answers_in_order_and_drops_empty_ones() -> None:
    cleaned = rca.clean(
        "five_whys", {"problem_statement": " Mail stops ", "whys": ["a", "", " b "]}
    )
    assert cleaned == {"problem_statement": "Mail stops", "whys": ["a", "b"]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"problem_statement": "x", "whys": []}, "at least the first why"),
        ({"problem_statement": "x", "whys": ["1", "2", "3", "4", "5", "6"]}, "at most 5"),
        ({"whys": ["a"]}, "Problem statement: required"),
        ({"problem_statement": "x", "whys": "a"}, "give a list"),
        ({"problem_statement": "x", "whys": ["a"], "extra": 1}, "Unknown field"),
    ],
)
def test_five_whys_refusals(data: dict[str, Any], message: str) -> None:
    assert message in refusal("five_whys", data)


def test_ishikawa_keeps_known_bones_with_causes() -> None:
    cleaned = rca.clean(
        "ishikawa",
        {"effect": "Jobs vanish", "causes": {"technology": ["driver"], "people": [""]}},
    )
    assert cleaned == {"effect": "Jobs vanish", "causes": {"technology": ["driver"]}}
    assert "unknown categories" in refusal(
        "ishikawa", {"effect": "x", "causes": {"weather": ["rain"]}}
    )
    assert "at least one" in refusal("ishikawa", {"effect": "x", "causes": {}})


def test_kepner_tregoe_needs_what_is_and_the_most_probable_cause() -> None:
    cleaned = rca.clean(
        "kepner_tregoe",
        {
            "what": {"is": "Timeouts", "is_not": "Errors"},
            "possible_causes": ["DNS", ""],
            "most_probable_cause": "DNS cache",
        },
    )
    assert cleaned["what"] == {"is": "Timeouts", "is_not": "Errors"}
    assert cleaned["where"] == {"is": "", "is_not": ""}
    assert cleaned["possible_causes"] == ["DNS"]
    assert "What is: required" in refusal("kepner_tregoe", {"most_probable_cause": "x"})
    assert "Most probable cause" in refusal("kepner_tregoe", {"what": {"is": "x"}})
    assert "Unknown field" in refusal(
        "kepner_tregoe", {"what": {"is": "x", "maybe": "y"}, "most_probable_cause": "z"}
    )


def test_fault_tree_checks_ids_parents_gates_and_cycles() -> None:
    tree = {
        "top_event": "Outage",
        "nodes": [
            {"id": "A", "label": "DB down", "gate": "or", "parent": ""},
            {"id": "B", "label": "Disk full", "gate": "basic", "parent": "A"},
        ],
    }
    cleaned = rca.clean("fault_tree", tree)
    assert [depth for depth, _node in rca.tree_rows(cleaned)] == [1, 2]
    bad_parent = {**tree, "nodes": [{"id": "A", "label": "x", "parent": "Z"}]}
    assert "no event 'Z'" in refusal("fault_tree", bad_parent)
    under_basic = {
        **tree,
        "nodes": [
            {"id": "A", "label": "x", "gate": "basic"},
            {"id": "B", "label": "y", "parent": "A"},
        ],
    }
    assert "basic event" in refusal("fault_tree", under_basic)
    cycle = {
        **tree,
        "nodes": [
            {"id": "A", "label": "x", "gate": "or", "parent": "B"},
            {"id": "B", "label": "y", "gate": "and", "parent": "A"},
        ],
    }
    assert "own ancestor" in refusal("fault_tree", cycle)
    twice = {**tree, "nodes": [{"id": "A", "label": "x"}, {"id": "A", "label": "y"}]}
    assert "its own id" in refusal("fault_tree", twice)
    assert "unknown gate" in refusal(
        "fault_tree", {**tree, "nodes": [{"id": "A", "label": "x", "gate": "xor"}]}
    )


def test_unknown_method_and_non_object_data_are_refused() -> None:
    assert "Unknown method" in refusal("astrology", {})
    assert "as an object" in refusal("five_whys", ["a"])
