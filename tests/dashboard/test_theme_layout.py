"""theme.layout and theme.merged: the plain-dict figures (plotly's JSON form) the Overview and
Service detail build are what the go.Figure path made of the same calls."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.components import theme


def test_layout_is_what_style_makes_of_a_figure() -> None:
    titles = {"title": "T <b>", "subtitle": "S", "x_title": "X (UTC)", "y_title": "Y ($)"}

    styled = theme.style(go.Figure(), **titles, hovermode="closest", height=300)
    plain = go.Figure(layout=theme.layout(**titles, hovermode="closest", height=300))

    assert plain.layout.to_plotly_json() == styled.layout.to_plotly_json()


def test_layout_without_a_subtitle_is_what_style_makes() -> None:
    styled = theme.style(go.Figure(), title="T", x_title="", y_title="Y")

    assert (
        go.Figure(layout=theme.layout(title="T", x_title="", y_title="Y")).layout == styled.layout
    )


def test_merged_is_update_layout() -> None:
    base = theme.layout(title="T", x_title="X", y_title="Y")
    extra = {
        "xaxis": {"anchor": "y2", "title": {"text": "Time"}},
        "legend": {"orientation": "v", "x": 1.01},
        "margin": {"t": 110},
        "annotations": [{"text": "Row", "showarrow": False}],
        "height": 500,
    }

    updated = go.Figure(layout=base).update_layout(extra)

    assert go.Figure(layout=theme.merged(base, extra)).layout == updated.layout


def test_merged_changes_neither_argument() -> None:
    base = {"xaxis": {"title": {"text": "X"}}, "height": 1}
    extra = {"xaxis": {"title": {"text": "Z"}, "anchor": "y"}}

    assert theme.merged(base, extra) == {
        "xaxis": {"title": {"text": "Z"}, "anchor": "y"},
        "height": 1,
    }
    assert base == {"xaxis": {"title": {"text": "X"}}, "height": 1}
    assert extra == {"xaxis": {"title": {"text": "Z"}, "anchor": "y"}}
