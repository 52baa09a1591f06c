"""Budgets & anomalies page sections: table and chart, anomalies, commitments, forms."""
