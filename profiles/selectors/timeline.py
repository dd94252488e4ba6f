"""Geometry of the server-rendered SVG timeline: where each event and year tick goes.

Pure layout arithmetic; the template draws the shapes, so every label is escaped
by the template engine like any other text.
"""

from dataclasses import dataclass
from datetime import date

WIDTH = 640
HEIGHT = 64
MARGIN = 24
AXIS_Y = 28


@dataclass(frozen=True)
class Mark:
    x: float
    event: object


@dataclass(frozen=True)
class Tick:
    x: float
    year: int


@dataclass(frozen=True)
class TimelineLayout:
    marks: list
    ticks: list
    width: int = WIDTH
    height: int = HEIGHT
    axis_y: int = AXIS_Y
    start_x: int = MARGIN
    end_x: int = WIDTH - MARGIN


def layout(events):
    """Place dated events on a horizontal axis spanning whole years."""
    events = [event for event in events if event.date]
    if not events:
        return None
    first = min(event.date for event in events)
    last = max(event.date for event in events)
    start = date(first.year, 1, 1)
    end = date(last.year + 1, 1, 1)
    span = (end - start).days
    usable = WIDTH - 2 * MARGIN

    def x_of(day):
        return round(MARGIN + usable * (day - start).days / span, 1)

    years = range(start.year, end.year + 1)
    step = max(1, len(years) // 8)  # at most about eight labelled ticks
    ticks = [Tick(x_of(date(year, 1, 1)), year) for year in years if (year - start.year) % step == 0]
    marks = [Mark(x_of(event.date), event) for event in sorted(events, key=lambda e: e.date)]
    return TimelineLayout(marks=marks, ticks=ticks)
