"""The dashboard's own exceptions, one base class (DataError and EngineError show as warnings).

DashboardError
└── LoginRefused (also a ValueError)

(A pool worker dying mid-run is data.errors.WorkerLost: the pool lives in data/pool.py.)
"""


class DashboardError(Exception):
    """Base class of every error the dashboard itself raises."""


class LoginRefused(DashboardError, ValueError):
    """The identity provider's token lacks what Tightrope needs (issuer, subject, issue time)."""
