"""Our PromQL string literals, parsed by the real Prometheus, come back as the exact text."""

from __future__ import annotations

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from data.connectors.prometheus import PrometheusClient, TelemetryMapping
from data.connectors.prometheus.promql import Batch
from data.connectors.prometheus.selectors import quote
from tests.support.prometheus import History

pytestmark = pytest.mark.prometheus
label_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=label_text)
@example(value="\ufffd")  # Prometheus refuses it unescaped ("invalid UTF-8 rune")
@example(value='a"b\\c\n\u2028')
def test_prometheus_parses_our_literal_back_to_the_same_text(
    prometheus_history: History, value: str
) -> None:
    response = requests.get(
        f"{prometheus_history.url}/api/v1/query",
        params={"query": quote(value), "time": "0"},
        timeout=10,
    )

    body = response.json()
    assert body["data"]["resultType"] == "string"
    assert body["data"]["result"][1] == value


def test_an_alternation_selects_only_its_own_services(prometheus_history: History) -> None:
    batch = Batch.of(
        [
            TelemetryMapping.parse({"namespace": "pay", "container": name}).resource
            for name in ("a.b", "absent|.*")
        ]
    )
    client = PrometheusClient.from_url(prometheus_history.url, timeout_s=10)

    result = client.query(
        f"count by (container) ({batch.sel('container_memory_working_set_bytes')})",
        at=prometheus_history.end,
    )

    assert [dict(s.labels) for s in result.series] == [{"container": "a.b"}]  # not axb
