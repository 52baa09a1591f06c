"""The KPI sparkline: an SVG drawn from numbers, its labels escaped, its colour the delta's."""

from __future__ import annotations

import html
import re

import pytest

from dashboard.components import kpis, sparkline


def _points(markup: str) -> list[tuple[float, float]]:
    line = re.search(r'<polyline points="([^"]+)"', markup)
    assert line is not None
    return [tuple(map(float, p.split(","))) for p in line.group(1).split()]  # type: ignore[misc]


def test_the_highest_value_is_at_the_top_and_the_lowest_at_the_bottom() -> None:
    markup = sparkline.svg([5.0, 9.0, 1.0], labels=["a", "b", "c"], tone="neutral")

    points = _points(markup)

    assert [x for x, _ in points] == [0.0, 1.0, 2.0]
    assert points[1][1] < points[0][1] < points[2][1]
    assert points[1][1] == 2.0
    assert points[2][1] == sparkline.HEIGHT_PX - 2.0


def test_one_day_is_a_flat_line() -> None:
    points = _points(sparkline.svg([7.0], labels=["Nov 01: $7"], tone="neutral"))

    assert len(points) == 2
    assert points[0][1] == points[1][1]


def test_labels_are_text_not_markup() -> None:
    markup = sparkline.svg([1.0, 2.0], labels=["<b>x</b>", "a & b"], tone="bad")

    titles = [html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", markup)]

    assert titles == ["<b>x</b>", "a & b"]
    assert "<b>" not in markup


def test_a_label_for_every_value_is_required() -> None:
    with pytest.raises(ValueError, match="one label per value"):
        sparkline.svg([1.0, 2.0], labels=["a"], tone="neutral")


@pytest.mark.parametrize(
    ("delta", "color", "tone"),
    [
        ("+1.1 % vs prior 30 d", "inverse", "bad"),
        ("-4.0 % vs prior 30 d", "inverse", "good"),
        ("+2 %", "normal", "good"),
        ("-2 %", "normal", "bad"),
        ("+2 %", "off", "neutral"),
        (None, "normal", "neutral"),
    ],
)
def test_the_line_takes_the_delta_colour(delta: str | None, color: str, tone: str) -> None:
    kpi = kpis.Kpi("Cost", "$1", delta=delta, delta_color=color, chart_data=(1.0, 2.0))  # type: ignore[arg-type]

    assert kpis._tone(kpi) == tone
