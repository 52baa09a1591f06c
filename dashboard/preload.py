"""The pages' modules imported when the server starts, so the first visit does not pay them."""

from __future__ import annotations

import gc
import importlib
import pkgutil

from PIL import Image
from plotly.tools import return_figure_from_figure_or_data
from sqlalchemy.orm import configure_mappers
from streamlit import delta_generator

import dashboard
from dashboard.components import panels

# Run by Streamlit (page scripts draw on import) or the launcher itself: never imported here.
SCRIPTS = ("dashboard.__main__", "dashboard.streamlit_app", "dashboard.app_pages.")
# The Simulator's modules declare st.cache_data at import, which before the runtime exists
# warns and checks against a throwaway store: left to the Simulator's first visit.
LEFT = ("dashboard.queries.simulator", "dashboard.components.simulator")
# What a first visit of Overview, Service detail, Recommendations and Services imported besides
# (listed from sys.modules before and after, ~25 ms of CPU): Pillow for the page icon
# (st.set_page_config), sqlite3 for the first connection, narwhals' pandas backend and pyarrow's
# pandas bridge (Streamlit's data elements), plotly's JSON writer, Streamlit's icon names
# (st.Page) and what its script runner loads on a first run.
ON_FIRST_VISIT = (
    "PIL.Image",
    "sqlite3",
    "narwhals._pandas_like.namespace",
    "narwhals._interchange.dataframe",
    "narwhals.stable.v1._namespace",
    "pyarrow.pandas_compat",
    "pyarrow.vendored.version",
    "pandas.core.reshape.reshape",
    "plotly.io._json",
    "streamlit.material_icon_names",
    "streamlit.components.v2.manifest_scanner",
    "streamlit.runtime.scriptrunner.magic_funcs",
)


def preload() -> int:
    """Import every dashboard module but the scripts and the Simulator's (and with them
    pandas, plotly, SQLAlchemy, the data repositories and the engine): 1-2 s of CPU that the
    first visit after a start paid before its first query (issue 19). Returns the modules
    imported. Nothing reads the settings or the database at import
    (tests/dashboard/test_settings_at_import.py)."""
    names = [
        info.name
        for info in pkgutil.walk_packages(dashboard.__path__, "dashboard.")
        if not info.name.startswith(SCRIPTS + LEFT) and info.name not in SCRIPTS
    ]
    for name in (*names, *ON_FIRST_VISIT):
        importlib.import_module(name)
    _once_per_process()
    _freeze()
    return len(names)


def _once_per_process() -> None:
    """What the first visit's script run did once for the whole process (issue 19: ~0.1 s of
    its CPU, measured with py-spy on the server at 1,000 services).

    - SQLAlchemy configures the ORM mappers on their first query (~20 ms).
    - Streamlit's first element asks whether the script runs outside `streamlit run`, to warn
      if so: `env_util.is_repl()` walks `inspect.stack()`, which maps every module in
      sys.modules to its real path and reads each frame's source (~80-130 ms with the modules
      imported above). This process serves through Streamlit's runtime (the launcher runs
      `streamlit run`), so there is nothing to warn about: the check is marked done.
    """
    configure_mappers()
    delta_generator._use_warning_has_been_displayed = True
    Image.preinit()  # the image plugins, which reading the page icon loads
    _validate_a_figure()


def _validate_a_figure() -> None:
    """st.plotly_chart validates each figure: the first validation imports plotly's classes for
    the traces and layout parts the pages use and builds their validators (~15 ms)."""
    line = {"type": "scatter", "x": [0], "y": [0], "line": {"width": 1}}
    bar = {"type": "bar", "x": [0], "y": ["a"], "marker": {"color": "#000000"}}
    row = panels.Row("Row", "y", (line,), legend_title="G")
    bars = panels.Row("Bars", "y", (bar,), legend_title="H")
    spec = panels.own_x([row, bars], title="Warm", subtitle="up")
    return_figure_from_figure_or_data(spec, validate_figure=True)


def _freeze() -> None:
    """Move what the imports made (about 200,000 objects, alive as long as the process) out of
    the cyclic collector's reach: a full collection set off by a first visit's reads walked all
    of them (the backlog's first read at 1,000 services: 0.41 s of CPU, 0.19-0.23 s frozen).
    Garbage the imports left is collected first, so nothing unreachable is frozen."""
    gc.collect()
    gc.freeze()
