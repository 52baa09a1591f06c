"""Changes: every applied config change with before/after, and the audit trail."""

from __future__ import annotations

from dashboard.components import page

start = page.begin("Every config change Tightrope applied, who did it and when; roll one back.")
