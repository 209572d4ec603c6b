"""Japanese dates and era years, and the chart geometry (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hogo.domain.clock import JST
from hogo.services.coverage import CoveragePoint, CoverageSeries
from hogo.web.chart import build, time_points
from hogo.web.dates import format_date, format_datetime, wareki_year


def test_japanese_dates_and_eras() -> None:
    assert format_date(date(2024, 6, 1)) == "2024年6月1日"
    assert format_date(date(2024, 6, 1), era=True) == "2024年6月1日(令和6年)"
    assert wareki_year(date(2019, 5, 1)) == "令和元年"
    assert wareki_year(date(2019, 4, 30)) == "平成31年"
    assert wareki_year(date(1989, 1, 7)) == "昭和64年"
    assert wareki_year(date(1989, 1, 8)) == "平成元年"
    assert format_date(date(2024, 6, 1), "en", era=True) == "1 Jun 2024 (Reiwa 6)"
    assert format_date(None) == "—"


def test_datetimes_are_shown_in_japan_time() -> None:
    assert format_datetime(datetime(2024, 5, 31, 15, 30, tzinfo=UTC)) == "2024年6月1日 0:30"


def test_chart_geometry() -> None:
    at = [datetime(2022, 1, 1, tzinfo=JST), datetime(2023, 1, 1, tzinfo=JST)]
    s = CoverageSeries("p", "目的", (CoveragePoint(at[0], 0, 10), CoveragePoint(at[1], 10, 10)))
    chart = build([s], ["a", "b"])
    (line,) = chart.lines
    (x0, y0), (x1, y1) = (tuple(map(float, p.split(","))) for p in line.points.split())
    assert (x0, y0) == (chart.plot_left, chart.plot_bottom)  # 0 % at the bottom left
    assert (x1, y1) == (chart.plot_right, chart.plot_top)  # 100 % at the top right
    assert [t.label for t in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]


def test_time_points_end_now() -> None:
    now = datetime(2024, 3, 5, 12, tzinfo=JST)
    points = time_points(datetime(2021, 7, 1, tzinfo=JST), now)
    assert [p.year for p in points] == [2022, 2023, 2024, 2024]
    assert points[-1] == now
