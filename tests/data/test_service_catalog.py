"""Importing the service catalog file: all or nothing, new slugs only, precise refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from data.catalog import load_catalog
from data.errors import CatalogFileError
from data.repos.services import current_configs, list_services
from data.service_catalog import import_services, read_catalog_file
from tests.factories import T0


def _entry(slug: str, **capacity: Any) -> dict[str, Any]:
    return {
        "slug": slug, "name": slug.title(), "team": "payments", "owner": "p@example.com",
        "environment": "prod", "platform": "vm", "provider": "aws", "region": "us-east-1",
        "sla": {"latency_p95_target_ms": 250, "availability_target_pct": 99.9},
        "telemetry_selector": {"job": slug},
        "capacity": capacity or {"replicas": 3, "zones": 2, "instance_type": "m5.large"},
    }  # fmt: skip


def _file(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "services.json"
    path.write_text(json.dumps({"services": list(entries)}))
    return path


def test_new_services_are_catalogued_with_their_capacity_and_known_ones_left_alone(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    catalog = load_catalog()
    first = read_catalog_file(_file(tmp_path, _entry("checkout-api")))
    import_services(sessions, first, catalog, actor="ops", now=T0)
    both = read_catalog_file(_file(tmp_path, _entry("checkout-api"), _entry("search-api")))

    report = import_services(sessions, both, catalog, actor="ops", now=T0)

    assert (report.created, report.existing) == (("search-api",), ("checkout-api",))
    with sessions() as session:
        services = {s.slug: s.id for s in list_services(session)}
        configs = current_configs(session)
    config = configs[services["search-api"]]
    assert (config.instance_type, config.replicas, config.vcpu_per_replica) == ("m5.large", 3, 2.0)


def test_an_unknown_instance_type_refuses_the_whole_file(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    file = read_catalog_file(
        _file(tmp_path, _entry("ok-api"), _entry("bad-api", replicas=1, instance_type="z9.huge"))
    )

    with pytest.raises(CatalogFileError, match=r"bad-api.*z9\.huge"):
        import_services(sessions, file, load_catalog(), actor="ops", now=T0)

    with sessions() as session:
        assert list_services(session) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "cannot read"),
        ('{"services": [{"slug": "Bad Slug"}]}', "services.0.slug"),
        ('{"services": [], "extra": 1}', "extra"),
    ],
)
def test_an_invalid_file_says_where(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "services.json"
    path.write_text(text)

    with pytest.raises(CatalogFileError, match=message):
        read_catalog_file(path)
