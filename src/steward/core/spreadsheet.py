"""Cells for CSV files people open in a spreadsheet."""

from __future__ import annotations

from typing import Any

#: What a spreadsheet reads as the start of a formula (or a control character before one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value``, with text a spreadsheet would run as a formula quoted (``'=cmd``)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
