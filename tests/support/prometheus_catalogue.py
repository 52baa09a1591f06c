"""Catalogue the generated Prometheus services, so collectors have services to map."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from data.repos.services import add_services
from tests.factories import make_new_service
from tests.support.prometheus import History
from tests.support.prometheus_history import NodeService


def catalogue(sessions: sessionmaker[Session], history: History) -> list[int]:
    """One service per generated series set, its telemetry selector the service's mapping."""
    drafts = [
        make_new_service(
            f"svc-{i}",
            platform="vm" if isinstance(s, NodeService) else "kubernetes",
            telemetry_selector=s.mapping(),
        )
        for i, s in enumerate(history.services)
    ]
    with sessions.begin() as session:
        return [s.id for s in add_services(session, drafts, now=history.end)]
