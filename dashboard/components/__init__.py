"""Reusable page parts: theme, charts, KPI rows, filters, tables, CSV export."""
