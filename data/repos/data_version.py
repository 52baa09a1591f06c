"""The data version: one cheap read that changes whenever anything the pages show is written."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.models import (
    AuditEventRow,
    CapacityConfigRow,
    ConfigChangeRow,
    IngestedFileRow,
    JobRequestRow,
    JobRunRow,
    RecommendationRow,
    ServiceRow,
)
from data.repos.job_runs import RUNNING

DataVersion = tuple[int, ...]

# Every write the pages can show leaves a trace here (decision 031):
#   page and API writes   → a new audit_event (the guard writes one in the same transaction)
#   sidecar jobs          → a new job_run when one starts; one fewer "running" when it ends
#                            (recompute, collect, ingest write before they finish their run)
#   uploads, Run now      → ingested_file, job_request (beside their audit events)
#   seeds and recomputes run outside the sidecar (CLI, tests) → service, capacity_config,
#                            recommendation ids
# Each max(id) is one probe of a primary-key index; the "running" count reads the job ledger.
_MAX_IDS = (
    AuditEventRow.id,
    ConfigChangeRow.id,
    IngestedFileRow.id,
    JobRequestRow.id,
    JobRunRow.id,
    ServiceRow.id,
    CapacityConfigRow.id,
    RecommendationRow.id,
)


def _running_runs() -> ColumnElement[int]:
    query = select(func.count()).select_from(JobRunRow).where(JobRunRow.status == RUNNING)
    return query.scalar_subquery()


def data_version(session: Session) -> DataVersion:
    """The version of everything the pages read: equal values mean nothing they show changed.

    A job run that starts raises max(job_run.id); one that ends lowers the running count, so
    any sequence of starts and ends between two reads changes the pair.
    """
    columns = [select(func.coalesce(func.max(c), 0)).scalar_subquery() for c in _MAX_IDS]
    row = session.execute(select(*columns, _running_runs())).one()
    return tuple(int(value) for value in row)
