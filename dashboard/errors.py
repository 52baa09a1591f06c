"""The dashboard's own exceptions, one base class (DataError and EngineError show as warnings).

DashboardError
├── LoginRefused (also a ValueError)
└── WorkerLost (a pool worker died mid-run)
"""


class DashboardError(Exception):
    """Base class of every error the dashboard itself raises."""


class LoginRefused(DashboardError, ValueError):
    """The identity provider's token lacks what Tightrope needs (issuer, subject, issue time)."""


class WorkerLost(DashboardError):
    """A worker of the shared pool (dashboard/pool.py) died mid-run; the pool was restarted."""
