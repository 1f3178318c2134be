"""Bar charts drawn on the server as SVG: the geometry here, the markup in a template.

No script and no inline style (the CSP allows neither): shapes carry classes that
``site.css`` colours. Each series gets a panel with its own scale, so a day of a million
imported items does not flatten a series of a few sign-ups. The SVG has a viewBox and
scales to the width of its container, on a phone as on a desktop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# A phone shows the chart about 330 px wide: a viewBox of about that width keeps its 13-unit
# labels near 13 px there, and a desktop shows them a little larger.
WIDTH, HEIGHT = 360, 190
LEFT, RIGHT, TOP, BOTTOM = 44, 22, 12, 30
LABEL_EVERY = 7


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class DayLabel:
    x: float
    day: date


@dataclass(frozen=True)
class BarPanel:
    """One series: bars, the value axis's ticks and the day labels, in viewBox units."""

    bars: list[Bar]
    ticks: list[Tick]
    labels: list[DayLabel]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom: float = HEIGHT - BOTTOM
    right: int = WIDTH - RIGHT


def nice_top(largest: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``largest`` (at least 1)."""
    if largest <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(largest)))
    for step in (1, 2, 5, 10):
        if step * power >= largest:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def bar_panel(series: Sequence[tuple[date, int]]) -> BarPanel:
    """The panel for one value per day, oldest day first; the last day is always labelled."""
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    base = HEIGHT - BOTTOM
    top = nice_top(max((value for _, value in series), default=0))
    slot = plot_width / max(len(series), 1)
    bar_width = max(slot * 0.7, 1.0)
    bars = []
    labels = []
    for n, (day, value) in enumerate(series):
        height = plot_height * value / top
        x = LEFT + n * slot + (slot - bar_width) / 2
        bars.append(
            Bar(
                round(x, 2),
                round(base - height, 2),
                round(bar_width, 2),
                round(height, 2),
                day,
                value,
            )
        )
        if (len(series) - 1 - n) % LABEL_EVERY == 0:
            labels.append(DayLabel(round(x + bar_width / 2, 2), day))
    ticks = [Tick(round(base - plot_height * v / top, 2), v) for v in sorted({0, top // 2, top})]
    return BarPanel(bars, ticks, labels)
