"""The Streamlit dashboard: routing, pages, cached reads and reusable components."""
