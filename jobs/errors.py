"""The sidecar's exceptions, one base class (data errors stay DataError, engine errors EngineError).

JobsError
├── WorkerFailed (also a RuntimeError)
└── ClusterUnusable
"""


class JobsError(Exception):
    """Base class of every error the sidecar itself raises."""


class WorkerFailed(JobsError, RuntimeError):
    """A worker process raised or died: a bug, since the engine never raises for a service."""


class ClusterUnusable(JobsError):
    """Recompute cannot run on a cluster as configured (e.g. an in-memory SQLite database)."""
