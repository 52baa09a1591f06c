"""One script per page; run by st.navigation from dashboard/streamlit_app.py."""
