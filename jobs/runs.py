"""A run's window and outcome; the job_run ledger itself is data.repos.job_runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Window:
    """The half-open span [start, end) a run covers."""

    start: datetime
    end: datetime

    @property
    def empty(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a job run did, when a row count alone does not say it.

    `partial` (e.g. "partial: 800 of 1,000 services ...") records the run as "partial": it
    stored what it could, but some of its work failed and is retried by the next run.
    `measures` are figures the sidecar exposes as metrics (name → value).
    """

    rows: int
    partial: str | None = None
    measures: Mapping[str, float] = field(default_factory=dict)
