"""Tightrope's pure core: costs, recommendations, SLA and simulation engines (numpy, no I/O)."""
