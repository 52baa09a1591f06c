"""The floor for bench_pages: a Streamlit page with one plotly chart and the pages' last line.

Not part of the product: `streamlit run bench/floor_page.py`. It pays what every page pays
(the script run, the websocket, plotly's bundle in the browser) and nothing of Tightrope's.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
st.title("Floor", anchor=False)
days = list(range(30))
figure = go.Figure(go.Bar(x=days, y=[100 + 3 * d for d in days], name="cost"))
figure.update_layout(title="One chart")
st.plotly_chart(figure, key="floor_chart")
st.caption("All times UTC.")
