"""Hand-off of an applied change: a validated patch, committed to a GitOps repository (023)."""
