"""Bench only: drop kinds of Streamlit element named by a visit's `bench_drop` query parameter.

Not part of the product. `bench/bench_elements.py` puts this directory on PYTHONPATH of the
dashboard server it starts (Python imports `sitecustomize` at start-up) with
TIGHTROPE_BENCH_ELEMENTS=1; nothing here runs otherwise. Each visit names the kinds to drop
(`?bench_drop=metric,plotly`, or one element by its name: `date_input`), so one server serves
every variant and visits alternate: what changes between two visits is only what the browser
is sent. A dropped widget returns the value it would have returned untouched (its session-state
value, else its default); a dropped block (container, columns, expander, tabs) keeps its
content, drawn in the enclosing block instead.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs

KINDS: dict[str, tuple[str, ...]] = {
    "plotly": ("plotly_chart",),
    "dataframe": ("dataframe", "data_editor", "table"),
    "metric": ("metric",),
    "text": ("markdown", "caption", "header", "subheader", "divider", "write", "code"),
    "alerts": ("info", "success", "warning", "error"),
    "widgets": (
        "multiselect", "selectbox", "date_input", "button", "download_button", "text_input",
        "number_input", "radio", "checkbox", "toggle", "segmented_control", "pills",
        "text_area", "slider", "select_slider", "page_link",
    ),
    "containers": ("container",),
    "columns": ("columns",),
    "expanders": ("expander", "tabs", "popover"),
}  # fmt: skip
KEEP_TEXT = "All times UTC."  # the bench's settle line: never dropped
SIDEBAR = 1  # RootContainer.SIDEBAR


class _Event(dict[str, Any]):
    """A dataframe's selection event with nothing selected (dict and attribute access)."""

    def __getattr__(self, name: str) -> Any:
        return self[name]


def _dropped() -> set[str]:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return set()
    wanted = parse_qs(ctx.query_string).get("bench_drop", [""])[0]
    return {kind for kind in wanted.split(",") if kind}


def _widget_value(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    import streamlit as st

    key = kwargs.get("key")
    if key is not None and key in st.session_state:
        return st.session_state[key]
    if name in ("selectbox", "radio"):
        options = list(args[1] if len(args) > 1 else kwargs.get("options", ()))
        index = kwargs.get("index", 0)
        return options[index] if options and index is not None else None
    if name in ("multiselect", "segmented_control", "pills"):
        return kwargs.get("default") or []
    if name in ("button", "download_button", "checkbox", "toggle", "page_link"):
        return kwargs.get("value", False)
    return kwargs.get("value", args[1] if len(args) > 1 else None)


def _replacement(kind: str, name: str, dg: Any, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    if kind == "widgets":
        return _widget_value(name, args, kw)
    if kind == "dataframe":
        return _Event(selection=_Event(rows=[], columns=[], cells=[]))
    if name == "columns" or name == "tabs":
        spec = args[0] if args else kw.get("spec", 1)
        return [dg._active_dg] * (spec if isinstance(spec, int) else len(spec))
    if kind in ("containers", "expanders"):
        return dg._active_dg
    return None


def _plotly_tweaks(dropped: set[str], kwargs: dict[str, Any]) -> None:
    """Not drops: a chart drawn another way (`plotly_notheme`, `plotly_nomodebar`,
    `plotly_static`, `plotly_fixed`), to see what part of a figure's cost each option is."""
    config = dict(kwargs.get("config") or {})
    if "plotly_notheme" in dropped:
        kwargs["theme"] = None
    if "plotly_nomodebar" in dropped:
        config["displayModeBar"] = False
    if "plotly_static" in dropped:
        config["staticPlot"] = True
    if "plotly_fixed" in dropped:
        kwargs["width"] = 1100
    kwargs["config"] = config


def _fixed_margins(figure: Any) -> Any:
    """The figure with every axis's automargin off and room set aside instead."""
    import plotly.graph_objects as go

    figure = go.Figure(figure)
    figure.update_xaxes(automargin=False)
    figure.update_yaxes(automargin=False)
    figure.update_layout(margin={"l": 80, "r": 8, "t": 96, "b": 60})
    return figure


def _wrap(kind: str, name: str, original: Any) -> Any:
    def element(self: Any, *args: Any, **kwargs: Any) -> Any:
        dropped = _dropped()
        if kind == "metric" and "sparkline" in dropped:
            kwargs["chart_data"] = None
        body = args[0] if args else kwargs.get("body", "")
        if "sparkline" in dropped and name == "markdown" and "tr-spark" in str(body):
            return _replacement(kind, name, self, args, kwargs)  # our own SVG (session 10)
        if name == "selectbox" and "selectbox_few" in dropped:  # what 1,000 options cost
            args = (args[0], list(args[1] if len(args) > 1 else kwargs.pop("options"))[:20])
        if name == "plotly_chart":
            _plotly_tweaks(dropped, kwargs)
            if "plotly_noautomargin" in dropped:
                args = (_fixed_margins(args[0]), *args[1:])
        in_sidebar = self._active_dg._root_container == SIDEBAR
        if (
            kind in dropped
            or name in dropped
            or f"key:{kwargs.get('key')}" in dropped  # one element by its key: `key:ov_forecast`
            or ("sidebar" in dropped and in_sidebar and kind != "containers")
        ):
            text = args[0] if args else kwargs.get("body", "")
            if not (isinstance(text, str) and KEEP_TEXT in text):
                return _replacement(kind, name, self, args, kwargs)
        return original(self, *args, **kwargs)

    return element


def _install() -> None:
    import streamlit
    from streamlit.delta_generator import DeltaGenerator

    for kind, names in KINDS.items():
        for name in names:
            setattr(DeltaGenerator, name, _wrap(kind, name, getattr(DeltaGenerator, name)))
            if hasattr(streamlit, name):  # `st.metric` is `_main.metric`, bound at import
                setattr(streamlit, name, getattr(streamlit._main, name))
    navigation = streamlit.navigation

    def hidden_navigation(pages: Any, **kwargs: Any) -> Any:
        if "nav" in _dropped():
            kwargs["position"] = "hidden"
        return navigation(pages, **kwargs)

    setattr(streamlit, "navigation", hidden_navigation)  # noqa: B010 (Final in the stubs)


if os.environ.get("TIGHTROPE_BENCH_ELEMENTS") == "1":
    _install()
