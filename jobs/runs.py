"""A run's window; the job_run ledger itself is data.repos.job_runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Window:
    """The half-open span [start, end) a run covers."""

    start: datetime
    end: datetime

    @property
    def empty(self) -> bool:
        return self.end <= self.start
