"""data.repos.services.configured_fleet: the fleet read chunk by chunk as plain values."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from data.models import ServiceRow
from data.repos import services
from tests.factories import T0, make_k8s_config, make_new_service, make_vm_config


def test_the_chunks_hold_every_active_configured_service_with_its_current_config_by_slug(
    sessions: sessionmaker[Session],
) -> None:
    slugs = ["e", "a", "d", "b", "c", "f", "g"]
    with sessions.begin() as session:
        added = services.add_services(session, [make_new_service(s) for s in slugs], now=T0)
        by_slug = {service.slug: service for service in added}
        for index, service in enumerate(added):
            if service.slug == "g":
                continue  # no config: not in the fleet
            config = make_vm_config() if index % 2 else make_k8s_config()
            services.set_capacity(session, service.id, config, actor="t", now=T0)
        later = T0 + timedelta(hours=1)
        services.set_capacity(session, by_slug["a"].id, make_vm_config(replicas=7), actor="t",
                              now=later)  # fmt: skip
        session.execute(update(ServiceRow).where(ServiceRow.slug == "f").values(active=False))

    with sessions.begin() as session:
        chunks = list(services.configured_fleet(session, chunk_services=2))
        listed = services.list_services(session)
        configs = services.current_configs(session)

    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    fleet = [pair for chunk in chunks for pair in chunk]
    assert [service.slug for service, _ in fleet] == ["a", "b", "c", "d", "e"]
    assert fleet == [(s, configs[s.id]) for s in listed if s.id in configs]
    assert {s.slug: c.replicas for s, c in fleet}["a"] == 7


def test_an_empty_catalog_reads_as_no_chunk(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert list(services.configured_fleet(session)) == []
