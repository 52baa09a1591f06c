"""Discovered workloads' container_rightsize results, offered beside their other rules'."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from engine import rules
from engine.context import ServiceContext
from engine.errors import EngineError
from engine.kube.container_lines import WorkloadSizing
from engine.kube.container_rule import RULE, container_rightsize
from engine.recommendation import Recommendation
from engine.rules.decide import cannot_evaluate


def with_containers(
    evaluated: Sequence[Recommendation],
    contexts: Sequence[ServiceContext],
    sizings: Mapping[int, WorkloadSizing],
) -> tuple[Recommendation, ...]:
    """`evaluated` (each service's offered results, services in order) with a container_rightsize
    result after the others of every service in `sizings`, the service's results offered again
    together (rules.offer: a config two rules propose is offered once). Services without
    container sizing (every VM, every hand-catalogued service) keep their results as they are.
    """
    extra = {
        ctx.service.id: _container(ctx, sizings[ctx.service.id])
        for ctx in contexts
        if ctx.service.id in sizings
    }
    if not extra:
        return tuple(evaluated)
    out: list[Recommendation] = []
    for service_id, group in itertools.groupby(evaluated, key=lambda rec: rec.service_id):
        results = tuple(group)
        mine = extra.get(service_id) if service_id is not None else None
        out.extend(rules.offer((*results, mine)) if mine is not None else results)
    return tuple(out)


def _container(ctx: ServiceContext, sizing: WorkloadSizing) -> Recommendation:
    try:
        return container_rightsize(ctx, sizing)
    except EngineError as error:  # an unpriced region must not sink the recompute
        return cannot_evaluate(RULE, ctx, error)
