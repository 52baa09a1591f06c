"""Machine-readable exports of the recommendation backlog (json, yaml, csv; Tightrope or COH)."""
