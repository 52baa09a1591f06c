"""Selectors we build parse back (with an independent PromQL parser) to exactly the values given."""

from __future__ import annotations

import re

import promql_parser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.connectors.prometheus import InvalidSelector, TelemetryMapping
from data.connectors.prometheus.promql import Batch, http_queries, resource_queries, signal_queries
from data.connectors.prometheus.selectors import MAX_ALTERNATIVES, eq, one_of, selector

# Any Unicode text except what check_value rejects (NUL, lone surrogates); astral, controls,
# U+2028 and quotes/backslashes included.
label_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=60,
)
INJECTION = 'x"} or vector(1) or up{job="'


def parsed_matchers(promql: str) -> dict[str, tuple[str, str]]:
    expr = promql_parser.parse(promql)
    assert isinstance(expr, promql_parser.VectorSelector)
    return {m.name: (str(m.op), m.value) for m in expr.matchers.matchers}


@settings(max_examples=500, deadline=None)
@given(namespace=label_text, container=label_text)
def test_equality_selector_parses_back_to_the_same_values(namespace: str, container: str) -> None:
    promql = selector("m", [eq("namespace", namespace), eq("container", container)])

    matchers = parsed_matchers(promql)

    assert matchers["namespace"] == ("MatchOp.Equal", namespace)
    assert matchers["container"] == ("MatchOp.Equal", container)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(label_text, min_size=2, max_size=8, unique=True), other=label_text)
def test_alternation_matches_exactly_the_given_values(values: list[str], other: str) -> None:
    promql = selector("m", [one_of("container", values)])

    op, regex = parsed_matchers(promql)["container"]

    assert op == "MatchOp.Re"
    assert all(re.fullmatch(regex, v, flags=re.DOTALL) for v in values)
    assert (re.fullmatch(regex, other, flags=re.DOTALL) is not None) == (other in values)


@pytest.mark.parametrize(
    "value", ["😀", "\u2028", "tab\there", "new\nline", "\x7f", 'q"uote', "b\\s"]
)
def test_awkward_characters_round_trip(value: str) -> None:
    assert parsed_matchers(selector("m", [eq("job", value)]))["job"][1] == value


def test_injection_payload_stays_one_label_value() -> None:
    promql = selector("up", [eq("job", INJECTION)])

    expr = promql_parser.parse(promql)

    assert type(expr).__name__ == "VectorSelector"  # not a BinaryExpr: nothing was injected
    assert parsed_matchers(promql)["job"][1] == INJECTION


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x" * 2000])
def test_unsendable_values_are_rejected(value: str) -> None:
    with pytest.raises(InvalidSelector):
        eq("job", value)


def test_label_names_outside_the_allowlist_are_rejected() -> None:
    with pytest.raises(InvalidSelector, match="not an allowed"):
        selector("m", [eq("job", "x").__class__("job} or up{x", "=", "y")])


def test_alternation_is_capped() -> None:
    with pytest.raises(InvalidSelector, match="at most"):
        one_of("container", [f"c{i}" for i in range(MAX_ALTERNATIVES + 1)])


def test_every_generated_query_parses_for_hostile_names() -> None:
    mappings = [
        TelemetryMapping.parse({"namespace": "ns", "container": name})
        for name in (INJECTION, "a.b", "😀|.*")
    ]
    batch = Batch.of([m.resource for m in mappings])
    node = Batch.of([TelemetryMapping.parse({"job": INJECTION}).resource])
    queries = (
        *resource_queries("kubernetes", batch),
        *resource_queries("node", node),
        *http_queries(batch, status_label="code"),
        *signal_queries(batch, window="336h"),
    )

    assert len(queries) >= 4
    for query in queries:
        promql_parser.parse(query.promql)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({}, "empty"),
        ({"namespace": "ns"}, "node selector: unknown labels"),
        ({"container": "c"}, "needs one of"),
        ({"job": "j", "pod": "p"}, "unknown labels"),
        ({"job": ""}, "non-empty"),
        ({"job": 3}, "non-empty"),
        ({"kind": "lambda", "job": "j"}, "kind must be"),
        ({"job": "j", "http": "yes"}, "http must be"),
        ({"job": "j", "status_label": "rc"}, "status_label"),
    ],
)
def test_bad_mappings_say_what_is_wrong(raw: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidSelector, match=message):
        TelemetryMapping.parse(raw)


def test_mapping_defaults_http_labels_to_the_resource_labels() -> None:
    mapping = TelemetryMapping.parse({"namespace": "pay", "container": "api"})

    assert mapping.kind == "kubernetes"
    assert mapping.http == mapping.resource == (("container", "api"), ("namespace", "pay"))
    assert TelemetryMapping.parse({"job": "vm", "http": False}).http is None
