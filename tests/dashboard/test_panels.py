"""panels: stacked rows of one figure keep their own axes, titles and order, and never overlap.

The figures are plotly's JSON form; read here through go.Figure, which also validates them as
st.plotly_chart does."""

from __future__ import annotations

import itertools

import plotly.graph_objects as go

from dashboard.components import panels


def _rows(count: int) -> list[panels.Row]:
    return [
        panels.Row(
            f"Row {i}",
            f"Unit {i}",
            (
                {"type": "scatter", "x": [1, 2], "y": [i, i + 1], "name": f"a{i}"},
                {"type": "scatter", "x": [1, 2], "y": [0, 1]},
            ),
            legend_title=f"G{i}",
            height_px=100 + 50 * i,
        )
        for i in range(count)
    ]


def test_shared_x_puts_every_row_on_one_x_axis_under_its_own_title_and_unit() -> None:
    fig = go.Figure(panels.shared_x(_rows(3), title="T", subtitle="S", x_title="Hour (UTC)"))

    assert [t.yaxis for t in fig.data] == ["y", "y", "y2", "y2", "y3", "y3"]
    assert {t.xaxis for t in fig.data} == {"x"}
    assert fig.layout.xaxis.anchor == "y3"  # the time axis under the last row
    assert [a.text for a in fig.layout.annotations] == ["Row 0", "Row 1", "Row 2"]
    assert [fig.layout[f"yaxis{s}"].title.text for s in ("", "2", "3")] == [
        "Unit 0",
        "Unit 1",
        "Unit 2",
    ]
    assert fig.layout.hovermode == "x unified"
    assert fig.layout.hoversubplots == "axis"
    # One legend group per row, titled once.
    assert [t.legendgroup for t in fig.data] == ["y", "y", "y2", "y2", "y3", "y3"]
    assert [t.legendgrouptitle.text for t in fig.data][::2] == ["G0", "G1", "G2"]


def test_rows_run_top_to_bottom_without_overlap_and_keep_their_heights() -> None:
    fig = go.Figure(panels.own_x(_rows(3), title="T", subtitle="S"))

    domains = [tuple(fig.layout[f"yaxis{s}"].domain) for s in ("", "2", "3")]
    assert domains[0][1] == 1.0
    assert domains[-1][0] >= 0.0
    for upper, lower in itertools.pairwise(domains):
        assert lower[1] < upper[0]  # a gap for the next row's title (and here its x axis)
    spans = [top - bottom for bottom, top in domains]
    assert spans[0] < spans[1] < spans[2]  # 100, 150, 200 px
    assert [t.xaxis for t in fig.data][::2] == ["x", "x2", "x3"]
    assert [fig.layout[f"xaxis{s}"].anchor for s in ("", "2", "3")] == ["y", "y2", "y3"]
