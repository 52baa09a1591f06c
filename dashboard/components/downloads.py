"""The CSV download button every table shares: formula-safe, built on click, one icon."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.components import export


def csv_button(
    label: str,
    rows: Callable[[], pd.DataFrame],
    *,
    file_name: str,
    key: str,
    where: DeltaGenerator | None = None,
    width: Literal["content", "stretch"] = "content",
    help: str | None = None,
) -> None:
    """A download of `rows()` as CSV; the frame is built only when someone clicks."""
    (where or st).download_button(
        label,
        data=lambda: export.to_csv_bytes(rows()),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
        width=width,
        help=help,
    )
