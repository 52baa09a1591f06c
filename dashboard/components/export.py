"""The spreadsheet-safe CSV of the data layer's exports (data/exports/csv_cells.py), for pages."""

from __future__ import annotations

from data.exports.csv_cells import FORMULA_TRIGGERS, escape_text, starts_formula, to_csv_bytes

__all__ = ["FORMULA_TRIGGERS", "escape_text", "starts_formula", "to_csv_bytes"]
