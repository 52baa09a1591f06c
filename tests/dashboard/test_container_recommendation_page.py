"""A container recommendation on the Recommendations page (AppTest): its action type, the
per-container table, the HPA part and the modelled basis; a container name stays text."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components import formats
from data.models import ServiceRow
from data.repos.recommendations import insert_recommendation
from engine.kube.container_lines import WorkloadSizing, lines_by_workload
from engine.kube.container_rule import container_rightsize
from engine.kube.container_sizing import size_containers
from engine.kube.hpa import HpaSpec
from tests.dashboard.conftest import NOW, open_page, sessions_on
from tests.engine.kube.builders import make_stats
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.factories import make_k8s_config, make_service

RECS = "app_pages/recommendations.py"
HOSTILE = "app*x*[click](https://evil.example)<b>"


@pytest.fixture
def sessions(seeded_database: str) -> Iterator[sessionmaker[Session]]:
    yield from sessions_on(seeded_database)


@pytest.fixture
def container_rec(sessions: sessionmaker[Session]) -> int:
    """The engine's container_rightsize proposal for the seeded `search` service: two containers
    (one with a hostile name) under an HPA, stored as recompute stores it."""
    with sessions() as session:
        search_id = session.scalar(select(ServiceRow.id).where(ServiceRow.slug == "search"))
    assert search_id is not None
    stats = make_stats(
        [
            {"container": HOSTILE, "cpu_p95_cores": 0.45},
            {"container": "envoy", "cpu_p95_cores": 0.05},
        ],
        cpu_target_utilization=0.9,
        memory_request_gib=4.0,
    )
    lines = lines_by_workload(
        size_containers(stats, usd_per_core_hour=0.02, usd_per_gib_hour=0.003)
    )
    sized = WorkloadSizing(lines["w1"], HpaSpec(2, 15, 90.0), 72.0)
    config = make_k8s_config(replicas=14, min_replicas=2, zones=1, vcpu_per_replica=2.0,
                             cpu_request_cores=2.0, memory_request_gib=8.0)  # fmt: skip
    service = make_service(id=search_id, platform="kubernetes", region="us-central1")
    rec = container_rightsize(
        make_ctx(config, flat_usage(72, cpu_p95_cores=12.0), service=service), sized
    )
    assert rec.outcome == "recommend"
    with sessions.begin() as session:
        return insert_recommendation(session, rec, now=NOW)


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    frames = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(frames) == 1, column
    return frames[0]


def test_the_detail_shows_each_containers_requests_limits_and_observed_usage(
    container_rec: int,
) -> None:
    at = open_page(RECS, query={"rec": str(container_rec)})

    table = frame_with(at, "Container").set_index("Container")

    assert at.subheader[0].value.endswith("Search API — Rightsize containers")
    assert list(table.index) == [HOSTILE, "envoy"]  # a dataframe cell is text, never markdown
    app = table.loc[HOSTILE]
    assert (app["CPU request now"], app["CPU limit now"]) == ("1.00 cores", "unset")
    assert app["Memory request now"] == "4.0 GiB"
    assert (app["CPU request proposed"], app["CPU limit proposed"]) == ("500m", "unset")
    assert app["Memory limit proposed"] == app["Memory request proposed"] == "589 MiB"
    assert (app["p95 CPU observed"], app["Max memory observed"]) == ("450m", "512 MiB")
    assert app["Samples"] == "500"


def test_the_detail_shows_the_hpa_sized_with_the_pod_and_the_modelled_basis(
    container_rec: int,
) -> None:
    at = open_page(RECS, query={"rec": str(container_rec)})

    hpa = frame_with(at, "HPA field").set_index("HPA field")

    assert list(hpa.loc["minReplicas"]) == ["2", "2"]
    assert hpa.loc["maxReplicas", "Now"] == "15"
    assert (
        int(str(hpa.loc["maxReplicas", "Proposed"])) > 15
    )  # half the CPU a pod: more pods at peak
    assert list(hpa.loc["targetCPUUtilizationPercentage"]) == ["90 %", "90 %"]
    captions = " ".join(c.value for c in at.caption)
    assert formats.escape_markdown("Costs are modelled: requests × replicas") in captions
    assert "replicas at peak" in captions
    assert "Savings and costs here are modelled" in captions


def test_the_backlog_names_the_action_type(container_rec: int) -> None:
    at = open_page(RECS)

    board = at.dataframe[0].value
    labels = list(at.selectbox(key="rec_pick").options)

    assert board.loc[board["recommendation_id"] == container_rec, "action_type"].tolist() == [
        "Rightsize containers"
    ]
    assert any(
        label.startswith(f"#{container_rec} · Search API · Rightsize containers")
        for label in labels
    )
