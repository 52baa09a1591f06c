"""Recommendations page sections: backlog (filters, KPIs, table), picker, detail, charts, decisions.

`text` holds the pure text builders (no Streamlit), testable without AppTest.
"""
