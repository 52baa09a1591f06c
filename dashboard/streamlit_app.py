"""Tightrope dashboard entry point: page config, the login gate and routing, nothing else.

Run from the repository root: `python -m dashboard` (it checks the settings and feeds the
login configuration to Streamlit, then runs this file).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import auth, run_timing

# A file, not a :material/ icon: Streamlit fetches those favicons from fonts.gstatic.com, and a
# self-hosted tool must not call out (air-gapped installs, and it tells Google who is looking).
FAVICON = Path(__file__).parent / "static" / "favicon.png"
st.set_page_config(page_title="Tightrope", page_icon=str(FAVICON), layout="wide")
auth.gate()  # before any page: login when it is on, loopback only when it is off

page = st.navigation(
    [
        st.Page(
            "app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True
        ),
        st.Page("app_pages/services.py", title="Services", icon=":material/view_list:"),
        st.Page(
            "app_pages/service_detail.py",
            title="Service detail",
            icon=":material/monitoring:",
            url_path="service",
        ),
        st.Page(
            "app_pages/recommendations.py",
            title="Recommendations",
            icon=":material/lightbulb:",
            url_path="recommendations",
        ),
        st.Page(
            "app_pages/changes.py",
            title="Changes",
            icon=":material/history:",
            url_path="changes",
        ),
        st.Page(
            "app_pages/simulator.py",
            title="Simulator",
            icon=":material/tune:",
            url_path="simulator",
        ),
        st.Page(
            "app_pages/budgets.py",
            title="Budgets & anomalies",
            icon=":material/savings:",
            url_path="budgets",
        ),
        st.Page(
            "app_pages/data_sources.py",
            title="Data sources",
            icon=":material/database:",
            url_path="data-sources",
        ),
        st.Page(
            "app_pages/api_keys.py",
            title="API keys",
            icon=":material/key:",
            url_path="api-keys",
        ),
    ]
)
with run_timing.timed(page.url_path or "overview"):  # the server's own timing of the run
    st.title(page.title, anchor=False)
    page.run()
