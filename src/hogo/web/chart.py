"""The consent-coverage chart as plain SVG geometry, drawn on the server (no JavaScript needed).

The view turns coverage series into lines, axis ticks and a legend; the template only places
them. A data table beside the chart carries the same numbers for screen readers and for anyone
who wants the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hogo.services.coverage import CoverageSeries

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 48, 16, 40
# Colour-blind-safe palette (Okabe–Ito); lines also differ by dash pattern.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4")


@dataclass(frozen=True)
class Line:
    label: str
    colour: str
    dash: str
    points: str  # "x,y x,y …" for <polyline points=…>
    last_x: float
    last_y: float
    #: A dot at every point (sparse series such as assessments); the last point always has one.
    markers: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    #: Message keys of the chart's accessible title and description.
    title_key: str = "dash.chart"
    desc_key: str = "dash.chart_desc"


@dataclass(frozen=True)
class Series:
    """A line in plot coordinates: x and y each from 0 (left, bottom) to 1 (right, top)."""

    label: str
    points: tuple[tuple[float, float], ...]


def _y(share: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - share)


def _at(fx: float, fy: float) -> tuple[float, float]:
    return LEFT + (WIDTH - LEFT - RIGHT) * fx, _y(fy)


def plot(
    series: Sequence[Series],
    x_ticks: Sequence[tuple[float, str]],
    y_ticks: Sequence[tuple[float, str]],
    *,
    markers: bool = False,
    title_key: str = "dash.chart",
    desc_key: str = "dash.chart_desc",
) -> Chart:
    """Lines and ticks in plot coordinates (0–1 on both axes) placed in the SVG frame."""
    lines = []
    for k, s in enumerate(series):
        coords = [_at(fx, fy) for fx, fy in s.points]
        lines.append(
            Line(
                label=s.label,
                colour=COLOURS[k % len(COLOURS)],
                dash=DASHES[k % len(DASHES)],
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
                last_x=coords[-1][0] if coords else LEFT,
                last_y=coords[-1][1] if coords else HEIGHT - BOTTOM,
                markers=tuple((round(x, 1), round(y, 1)) for x, y in coords) if markers else (),
            )
        )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        lines=tuple(lines),
        x_ticks=tuple(Tick(_at(fx, 0)[0], label) for fx, label in x_ticks),
        y_ticks=tuple(Tick(_y(fy), label) for fy, label in y_ticks),
        title_key=title_key,
        desc_key=desc_key,
    )


def _fraction(i: int, n: int) -> float:
    return i / (n - 1) if n > 1 else 0.5


def build(series: Sequence[CoverageSeries], point_label: Sequence[str]) -> Chart:
    """Lines in percent of persons (0–100 %), one x position per time point."""
    n = len(point_label)
    lines = [
        Series(s.title, tuple((_fraction(i, n), p.share) for i, p in enumerate(s.points))) for s in series
    ]
    ticks = [(_fraction(i, n), label) for i, label in enumerate(point_label)]
    return plot(lines, ticks, [(v / 100, f"{v}%") for v in (0, 25, 50, 75, 100)])


def time_points(first: datetime, now: datetime) -> list[datetime]:
    """1 January of each year after `first`, then `now` (so the last point is today)."""
    points = [first.replace(year=y, month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
              for y in range(first.year + 1, now.year + 1)]  # fmt: skip
    return [p for p in points if p < now] + [now]
