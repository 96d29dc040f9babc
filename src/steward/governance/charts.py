"""Small server-rendered SVG charts (no script, no library): a line and horizontal bars.

Each function returns the numbers a template draws: coordinates in a fixed view box, so the
page scales the chart with CSS and screen readers get the table beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT, PAD = 600, 200, 30


@dataclass(frozen=True)
class LineChart:
    points: str  # "x,y x,y ..." for <polyline>
    max_value: int
    first: datetime | None
    last: datetime | None
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD


def line(values: list[tuple[datetime, int]]) -> LineChart:
    """A polyline of ``(when, value)`` pairs, scaled to the view box (y grows upwards)."""
    if not values:
        return LineChart(points="", max_value=0, first=None, last=None)
    top = max(max(v for _, v in values), 1)
    steps = max(len(values) - 1, 1)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    coords = [
        f"{PAD + inner_w * i / steps:.1f},{HEIGHT - PAD - inner_h * v / top:.1f}"
        for i, (_, v) in enumerate(values)
    ]
    return LineChart(points=" ".join(coords), max_value=top, first=values[0][0], last=values[-1][0])


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    width: float
    y: int


def bars(items: list[tuple[str, float, str]], *, scale: float | None = None) -> list[Bar]:
    """Horizontal bars of ``(label, value, text)``, ``scale`` the full width (the largest
    value by default); 24 units per bar."""
    top = scale if scale is not None else max((v for _, v, _ in items), default=0) or 1
    return [
        Bar(label=label, value=value, text=text, width=round(360 * value / top, 1), y=24 * i)
        for i, (label, value, text) in enumerate(items)
    ]
