"""Plotly draws a subset of HTML in chart text (<a href>, <b>, <br>): stored text in a figure
(service and team names, budget scopes, categories) is escaped before the figure is shown."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

# Trace fields that carry data-derived text: legend names, categories, hover and label text.
_TEXT_FIELDS = ("name", "legendgroup", "text", "hovertext", "x", "y", "labels", "ids")
# Templates are ours, with data formatted into them; these are the only tags they may keep.
_TEMPLATE_FIELDS = ("hovertemplate", "texttemplate")
_OUR_TAGS = ("<extra>", "</extra>", "<br>")
# Axis entries listing categories or tick labels by their text.
_CATEGORY_FIELDS = ("categoryarray", "ticktext")


def plain(text: str) -> str:
    """`text` as plotly shows it verbatim: <, > and & become entities plotly draws as such."""
    return html.escape(text, quote=False)


def template(text: str) -> str:
    """A title or hover template of ours with stored text in it: only our own tags stay tags."""
    escaped = plain(text)
    for tag in _OUR_TAGS:
        escaped = escaped.replace(plain(tag), tag)
    return escaped


def plain_figure(fig: go.Figure) -> go.Figure:
    """Escape every text of `fig` in place (traces and layout titles); returns `fig`."""
    fig.for_each_trace(_plain_trace)
    layout = fig.layout.to_plotly_json()
    # Only the entries escaping changed: re-setting the whole layout re-validates all of it.
    changed = {key: value for key, value in _plain_titles(layout).items() if value != layout[key]}
    if changed:
        fig.update_layout(changed)
    return fig


def plain_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A figure in plotly's JSON form with every text escaped as `plain_figure` escapes a
    go.Figure's (traces, layout titles, category lists); `spec` is not changed."""
    data = [_plain_trace_dict(trace) for trace in spec["data"]]
    return {**spec, "data": data, "layout": _plain_titles(spec["layout"])}


def _plain_trace_dict(trace: dict[str, Any]) -> dict[str, Any]:
    out = dict(trace)
    for field in _TEXT_FIELDS:
        value = out.get(field)
        if value is not None and _has_text(value):
            out[field] = plain(value) if isinstance(value, str) else _plain_all(value)
    for field in _TEMPLATE_FIELDS:
        value = out.get(field)
        if isinstance(value, str):
            out[field] = template(value)
    return out


def _plain_trace(trace: Any) -> None:
    for field in _TEXT_FIELDS:
        value = getattr(trace, field, None)
        if value is not None and _has_text(value):
            trace[field] = plain(value) if isinstance(value, str) else _plain_all(value)
    for field in _TEMPLATE_FIELDS:
        value = getattr(trace, field, None)
        if isinstance(value, str):
            trace[field] = template(value)


def _has_text(value: Any) -> bool:
    if isinstance(value, str):
        return True
    # numpy arrays, pandas Series and Index: by their dtype, never element by element (2,160
    # timestamps a row). pandas' own dtypes have a kind too: "M" for tz-aware datetimes, "O"
    # for strings and categories.
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if isinstance(kind, str):
        return kind in "OUS"
    return isinstance(value, Iterable) and any(isinstance(item, str) for item in value)


def _plain_all(values: Iterable[Any]) -> list[Any]:
    return [plain(item) if isinstance(item, str) else item for item in values]


def _plain_titles(layout: dict[str, Any]) -> dict[str, Any]:
    """The layout's text entries (titles, subtitles, axis titles, annotations), escaped; the
    template (theme) is left out: it holds no stored text."""
    return {
        key: value if key == "template" else _escape_texts(value) for key, value in layout.items()
    }


def _escape_texts(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _escape_entry(key, item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_texts(item) for item in value]
    return value


def _escape_entry(key: str, value: Any) -> Any:
    if key == "text" and isinstance(value, str):
        return template(value)
    if key in _CATEGORY_FIELDS and isinstance(value, list | tuple):
        return _plain_all(value)  # must match the escaped x / y values, or the order is lost
    return _escape_texts(value)
