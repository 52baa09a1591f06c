"""The APScheduler sidecar's jobs: refresh costs and usage, recompute, check budgets."""
