"""theme.layout and theme.merged: the plain-dict layouts (plotly's JSON form) every chart is built
with, and their merge as plotly's update_layout merges."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.components import theme


def test_a_styled_figure_keeps_every_theme_value_beside_its_titles() -> None:
    """The theme's values set explicitly (they outlive Streamlit's swap of the template), the
    titles merged into the theme's title and axis settings, the template carrying the same."""
    titles = {"title": "T <b>", "subtitle": "S", "x_title": "X (UTC)", "y_title": "Y ($)"}

    styled = theme.style(go.Figure(), **titles, hovermode="closest", height=300).layout

    assert (styled.title.text, styled.title.subtitle.text) == ("T <b>", "S")
    assert (styled.title.x, styled.title.font.size) == (0, 16)
    assert (styled.xaxis.title.text, styled.yaxis.title.text) == ("X (UTC)", "Y ($)")
    assert (styled.yaxis.rangemode, styled.xaxis.automargin) == ("tozero", True)
    assert (styled.hovermode, styled.height) == ("closest", 300)
    assert list(styled.colorway) == list(theme.PALETTE)
    assert styled.margin.to_plotly_json() == theme.LAYOUT["margin"]
    assert list(styled.template.layout.colorway) == list(theme.PALETTE)


def test_layout_without_a_subtitle_has_an_empty_one() -> None:
    styled = go.Figure(layout=theme.layout(title="T", x_title="", y_title="Y")).layout

    assert (styled.title.text, styled.title.subtitle.text, styled.hovermode) == (
        "T",
        "",
        "x unified",
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
