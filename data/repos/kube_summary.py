"""The last Kubernetes discovery run: saved once per run, read by the Data sources page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.connectors.kube.specs import Skipped
from data.models import KubeDiscoveryRow, KubeNodeRow, KubeWorkloadRow

_ROW_ID = 1  # one row, rewritten: a second identical run adds nothing


@dataclass(frozen=True, slots=True)
class DiscoverySummary:
    """What the page shows: when, found per kind, nodes per instance type, skipped and why."""

    ran_at: datetime
    window_s: int
    found: Mapping[str, int]
    nodes_by_type: Mapping[str, int]
    changes: Mapping[str, int]
    skipped: tuple[Skipped, ...]
    retired_workloads: int


def save_summary(
    session: Session,
    *,
    ran_at: datetime,
    window_s: int,
    found: Mapping[str, int],
    nodes: Sequence[str],
    changes: Mapping[str, int],
    skipped: Sequence[Skipped],
) -> None:
    """Rewrite the one summary row (`nodes`: each found node's instance type)."""
    values = {
        "ran_at": ran_at,
        "window_s": window_s,
        "found": dict(found),
        "nodes_by_type": dict(sorted(Counter(nodes).items())),
        "changes": dict(changes),
        "skipped": {"items": [asdict(s) for s in skipped]},
    }
    row = session.get(KubeDiscoveryRow, _ROW_ID)
    if row is None:
        session.add(KubeDiscoveryRow(id=_ROW_ID, **values))
        return
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def last_discovery(session: Session) -> DiscoverySummary | None:
    row = session.get(KubeDiscoveryRow, _ROW_ID)
    if row is None:
        return None
    retired = session.scalars(select(KubeWorkloadRow.id).where(~KubeWorkloadRow.active)).all()
    return DiscoverySummary(
        ran_at=row.ran_at,
        window_s=row.window_s,
        found={str(k): int(v) for k, v in row.found.items()},
        nodes_by_type={str(k): int(v) for k, v in row.nodes_by_type.items()},
        changes={str(k): int(v) for k, v in row.changes.items()},
        skipped=tuple(Skipped(**item) for item in row.skipped.get("items", [])),
        retired_workloads=len(retired),
    )


def active_node_types(session: Session) -> dict[str, int]:
    """Active nodes per instance type, from the inventory."""
    types = session.scalars(select(KubeNodeRow.instance_type).where(KubeNodeRow.active))
    return dict(sorted(Counter(types).items()))


def has_discovered(session: Session) -> bool:
    """Whether discovery has ever stored a workload (retired ones count)."""
    return session.scalar(select(KubeWorkloadRow.id).limit(1)) is not None
