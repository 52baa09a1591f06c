"""recommend_many plans every service's grids in one batch: the values of each rule alone."""

from __future__ import annotations

from data.catalog.loader import load_catalog
from data.connectors.demo.fleet import build_fleet
from data.connectors.demo.shapes import usage_window
from engine.context import ServiceContext
from engine.errors import EngineError
from engine.recommendation import Recommendation, RuleName
from engine.rules import RULES, Rule, recommend_many
from engine.rules.decide import cannot_evaluate
from engine.sla import policy_for
from tests.engine.rules.builders import flat_usage, make_ctx
from tests.engine.rules.test_recommend import END, _context
from tests.factories import make_k8s_config, make_vm_config

KINDS: tuple[RuleName, ...] = ("rightsize", "horizontal", "joint", "idle", "off_hours")


def test_batch_planning_gives_the_values_of_each_rule_alone() -> None:
    """Demo services of every platform, SLA and policy class, with services whose grids the
    batch must leave out: an unpriced type (pricing raises), no replicas, no hours, and
    a latency-critical pod, all in one recommend_many call."""
    contexts = _mixed_contexts()

    together = recommend_many(contexts)
    alone = [
        tuple(_alone(kind, rule, ctx) for kind, rule in zip(KINDS, RULES, strict=True))
        for ctx in contexts
    ]

    assert repr(together) == repr(alone)  # repr: NaN fields compare equal
    outcomes = {rec.outcome for recs in together for rec in recs}
    assert {"recommend", "not_applicable", "not_enough_data"} <= outcomes


def _alone(kind: RuleName, rule: Rule, ctx: ServiceContext) -> Recommendation:
    """The rule on its own (decide.plan, one grid at a time); an EngineError as recommend says."""
    try:
        return rule(ctx)
    except EngineError as error:
        return cannot_evaluate(kind, ctx, error)


def _mixed_contexts() -> list[ServiceContext]:
    catalog = load_catalog()
    demo = [
        _context(one, catalog, usage_window(one, service_id=1, end=END, days=30))
        for one in build_fleet(catalog, seed=7, n_services=16)
    ]
    edges = [
        make_ctx(make_vm_config(instance_type="z9.huge"), flat_usage()),
        make_ctx(make_vm_config(replicas=0, min_replicas=0), flat_usage()),
        make_ctx(make_vm_config(), flat_usage(hours=0)),
        make_ctx(
            make_k8s_config(replicas=3), flat_usage(cpu_p95_cores=2.5), policy=policy_for("batch")
        ),
    ]
    return [*demo[:8], *edges, *demo[8:]]
