"""A KPI card's sparkline as a small inline SVG made from numbers only (no chart library)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Literal

Tone = Literal["bad", "good", "neutral"]
HEIGHT_PX = 56  # st.metric's own chart height (3.5rem), so cards with and without line up
_PAD_PX = 2.0  # room for the stroke at the top and bottom, as Streamlit's chart leaves
# Mid tones that read on the light and the dark theme alike (the markdown cannot know which
# one the viewer picked); `neutral` follows the text colour, as Streamlit's grey does.
_STROKES = {"bad": "#E8626E", "good": "#3FA36B", "neutral": "currentColor"}
_FILL_OPACITY = {"bad": 0.14, "good": 0.14, "neutral": 0.08}
_STROKE_OPACITY = {"bad": 1.0, "good": 1.0, "neutral": 0.7}
# The hover shade; and the card (a bordered container in a horizontal row) as wide as its
# text asks, as a bare st.metric is, instead of a stretched container's fixed 128 px basis,
# which cut the delta short ("+1.1 % vs prior 3…").
_STYLE = (
    "<style>.tr-spark-hit{fill:transparent}"
    ".tr-spark-hit:hover{fill:currentColor;fill-opacity:.14}"
    "[data-testid=stHorizontalBlock]>[data-testid=stLayoutWrapper]:has(.tr-spark)"
    "{flex:1 1 fit-content}</style>"
)


def svg(values: Sequence[float], *, labels: Sequence[str], tone: Tone) -> str:
    """A line over its filled area, edge to edge, scaled from the lowest to the highest value
    (st.metric's area sparkline); one hover column per point whose tooltip is its label.

    The numbers become coordinates and the labels are escaped: nothing stored is markup here.
    """
    if len(values) != len(labels) or not values:
        raise ValueError("a sparkline needs one label per value, and a value")
    points = [float(v) for v in values] * (2 if len(values) == 1 else 1)  # one day: a flat line
    labels = [*labels] * (2 if len(labels) == 1 else 1)
    coords = _coordinates(points)
    line = " ".join(f"{x:.2f},{y:.2f}" for x, y in coords)
    last_x = coords[-1][0]
    area = f"0,{HEIGHT_PX} {line} {last_x:.2f},{HEIGHT_PX}"
    stroke = _STROKES[tone]
    return (
        f'<svg class="tr-spark" viewBox="0 0 {last_x:.2f} {HEIGHT_PX}" '
        f'preserveAspectRatio="none" width="100%" height="{HEIGHT_PX}" role="img" '
        f'aria-label="{html.escape(_summary(labels), quote=True)}" '
        'style="display:block;overflow:visible">'
        f"{_STYLE}"
        f'<polygon points="{area}" fill="{stroke}" fill-opacity="{_FILL_OPACITY[tone]}"/>'
        f'<polyline points="{line}" fill="none" stroke="{stroke}" '
        f'stroke-opacity="{_STROKE_OPACITY[tone]}" stroke-width="2" '
        'stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>'
        f"{_hover_columns(coords, labels)}</svg>"
    )


def _coordinates(points: Sequence[float]) -> list[tuple[float, float]]:
    """x one unit a point; y from the top, the highest value at the pad, the lowest at the
    bottom edge less the pad (a flat series sits in the middle)."""
    low, high = min(points), max(points)
    span = high - low
    usable = HEIGHT_PX - 2 * _PAD_PX
    return [
        (float(i), HEIGHT_PX / 2 if span == 0 else _PAD_PX + (high - v) / span * usable)
        for i, v in enumerate(points)
    ]


def _hover_columns(coords: Sequence[tuple[float, float]], labels: Sequence[str]) -> str:
    """A transparent column around each point: hovering it shades it and shows its label."""
    last = len(coords) - 1
    columns = []
    for i, label in enumerate(labels):
        left, right = max(0.0, i - 0.5), min(float(last), i + 0.5)
        columns.append(
            f'<rect class="tr-spark-hit" x="{left:.2f}" y="0" width="{right - left:.2f}" '
            f'height="{HEIGHT_PX}"><title>{html.escape(label)}</title></rect>'
        )
    return "".join(columns)


def _summary(labels: Sequence[str]) -> str:
    """What a screen reader hears: the first and the last point."""
    return f"Trend from {labels[0]} to {labels[-1]}" if labels else "Trend"
