"""How a sizing rule picks: screen candidates, judge the shortlist with the SLA engine, explain."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from engine.arrays import BoolArray, FloatArray
from engine.capacity import CapacityConfig
from engine.context import ServiceContext
from engine.cost import config_cost
from engine.errors import EngineError
from engine.explanation import FactValue
from engine.recommendation import (
    Recommendation,
    RuleName,
)
from engine.rules.explain import window_facts
from engine.rules.grid import CandidateGrid
from engine.rules.outcome import Judged, no_recommendation, pick
from engine.rules.sizing import (
    Effort,
    confidence,
    data_shortfall,
    to_money,
)
from engine.rules.window_stats import WindowStats, window_stats
from engine.sla import (
    Candidates,
    CandidateVerdicts,
    Judgement,
    evaluate_many,
    screen_candidates,
)
from engine.sla.latency import service_seconds_rows
from engine.sla.verdict import verdict_at
from engine.stats import nan_percentile
from engine.usage import UsageWindow

SPREAD_BOUND = 1e300  # observed values within ±this: the median's interpolation cannot overflow
SHORTLIST = 6  # candidates that get the full (queueing) verdict
HEADS: int | None = 1  # candidates per shortlist in judge_many's first round (None: all)
UNCALIBRATED = (
    "not modelled: CPU-seconds per request × ln 20 exceeds the median observed p95, so the M/M/c"
    " model cannot describe this service; latency left unchecked"
)


@dataclass(frozen=True, slots=True)
class Search:
    """A rule's bounded candidate grid and what applying the winner involves."""

    kind: RuleName
    grid: CandidateGrid
    restart_needed: bool
    effort: Effort
    detail: Mapping[str, FactValue] = field(default_factory=dict)


def no_data(
    kind: RuleName, ctx: ServiceContext, window: UsageWindow, stats: WindowStats | None = None
) -> Recommendation | None:
    """A "not_enough_data" (or "not_applicable" without replicas) result, None when sizable.
    `stats`: the window's, when the caller has them."""
    if ctx.config.replicas == 0:
        return no_recommendation(
            kind, ctx, "not_applicable", "no replicas running: nothing to size"
        )
    shortfall = data_shortfall(window, ctx.profile, stats=stats)
    return None if shortfall is None else no_recommendation(kind, ctx, "not_enough_data", shortfall)


@dataclass(frozen=True, slots=True)
class Plan:
    """A sizing rule's screened shortlist, waiting for the SLA engine's full verdict."""

    search: Search  # its grid is the shortlist, cheapest survivors first
    window: UsageWindow
    costs_usd: FloatArray  # monthly effective USD of the shortlist
    all_costs_usd: FloatArray  # … and of every candidate searched
    stats: WindowStats  # the window's, for the confidence band


def plan_by(
    search: Callable[[ServiceContext, UsageWindow, WindowStats], Search | Recommendation],
    ctx: ServiceContext,
    window: UsageWindow,
    stats: WindowStats | None = None,
) -> Plan | Recommendation:
    """A sizing rule's candidates over `window` (the lookback): `search`'s grid priced and
    screened, or why there is none. `stats`: the window's, when the caller has them
    (recommend_many: once for the three sizing rules)."""
    stats = stats or window_stats(window, ctx.profile)
    found = search(ctx, window, stats)
    return found if isinstance(found, Recommendation) else plan(ctx, window, found, stats)


def plan(
    ctx: ServiceContext, window: UsageWindow, search: Search, stats: WindowStats | None = None
) -> Plan | Recommendation:
    """Price the grid and screen it: screen_candidates over every candidate (saturation, error
    risk, memory, availability, N+1 peak — no queueing maths, no per-hour work) keeps the
    SHORTLIST cheapest survivors (the cheapest overall when none survives, so the reasons can be
    shown). An empty grid is "already_optimal" at once.
    """
    if not len(search.grid):
        return no_recommendation(search.kind, ctx, "already_optimal", "no candidate fits the usage")
    stats = stats or window_stats(window, ctx.profile)
    costs = search.grid.monthly_effective_usd(region=ctx.service.region, catalog=ctx.catalog)
    order = np.argsort(costs, kind="stable")
    ok = screen_candidates(
        window,
        search.grid.candidates,
        sla=ctx.service.sla,
        policy=ctx.policy,
        peaks=stats.screen_peaks,
    )
    return shortlisted(window, search, (costs, order, ok), stats)


def shortlisted(
    window: UsageWindow,
    search: Search,
    screened: tuple[FloatArray, npt.NDArray[np.intp], BoolArray],
    stats: WindowStats,
) -> Plan:
    """The plan of a priced and screened grid: (costs, their stable order, screen passed)."""
    costs, order, ok = screened
    survivors = order[ok[order]]
    keep = (survivors if len(survivors) else order)[:SHORTLIST]
    detail = {**search.detail, "candidates_searched": len(search.grid)}
    # Built field by field: dataclasses.replace costs several times as much, three times a service.
    shortlist = Search(
        search.kind, search.grid.take(keep), search.restart_needed, search.effort, detail
    )
    return Plan(shortlist, window, costs[keep], costs, stats)


def judge(ctx: ServiceContext, plans: Sequence[Plan | Recommendation]) -> list[Recommendation]:
    """Judge the shortlists of several plans on one window (the current config is candidate 0,
    then each plan's shortlist), then pick per plan. Shortlists are in cost order, so the
    current config and each shortlist's cheapest candidate are judged first; only when one of
    those fails are all the candidates judged (judge_many).

    Rules: a winner is the cheapest candidate whose SLA verdict passes (the verdict it is shown
    with). When the current config passes, the winner must be cheaper and worth making (≥ 5 %
    and ≥ $10/month), else "already_optimal" / "no_change_worth_making"; when it fails, the
    winner is recommended even if it costs more — then as a "restore_sla" — and the current
    risk is stated. Nothing passing → "already_optimal" (current passes) or "sla_unreachable"
    (with the latency floor when no capacity could meet the target). When the M/M/c model
    cannot describe the service (`_latency_uncalibrated`) latency is not judged.
    """
    return judge_many([(ctx, plans)])[0]


def judge_many(
    services: Sequence[tuple[ServiceContext, Sequence[Plan | Recommendation]]],
) -> list[list[Recommendation]]:
    """`judge` for many services, the SLA engine's per-hour work batched across services. Same
    values as judging each alone, and as judging every shortlisted candidate.

    Why two rounds: the winner is the cheapest passing candidate and a shortlist is in cost
    order, so when its first candidate passes it wins whatever the others' verdicts (a verdict
    is per candidate: judged with or without the others, the same values). The first round
    judges the current config and each shortlist's head; a service where a head fails is then
    judged on every candidate. On the bench fleet 96 % of services need one round, judged on 4
    candidates instead of ~19."""
    windows = [
        next((p.window for p in plans if isinstance(p, Plan)), None) for _, plans in services
    ]
    seconds = seconds_per_request(windows)
    heads = [_hearing(ctx, plans, s) for (ctx, plans), s in zip(services, seconds, strict=True)]
    first = _judge_all(heads)
    again = [
        _everyone(ctx, h) if h is not None and v is not None and not v.passes[1:].all() else None
        for (ctx, _), h, v in zip(services, heads, first, strict=True)
    ]
    second = _judge_all(again)
    rounds = [
        (a, s) if a is not None else (h, v)
        for h, v, a, s in zip(heads, first, again, second, strict=True)
    ]
    return [
        _verdict(ctx, plans, hearing, verdicts) if hearing and verdicts else list(_decided(plans))
        for (ctx, plans), (hearing, verdicts) in zip(services, rounds, strict=True)
    ]


def _judge_all(hearings: list[_Hearing | None]) -> list[CandidateVerdicts | None]:
    """One evaluate_many call for the hearings given (None: nothing to judge)."""
    judgements = [h.judgement for h in hearings if h is not None]
    verdicts = iter(evaluate_many(judgements) if judgements else [])
    return [None if h is None else next(verdicts) for h in hearings]


def cannot_evaluate(kind: RuleName, ctx: ServiceContext, error: EngineError) -> Recommendation:
    """The "not_applicable" value of a rule the engine could not run (say, an unpriced type)."""
    return no_recommendation(kind, ctx, "not_applicable", f"cannot evaluate: {error}")


@dataclass(frozen=True, slots=True)
class _Hearing:
    """One service's plans, ready for the SLA engine: the window it judges on and the call."""

    window: UsageWindow
    pending: list[Plan]
    judgement: Judgement
    sizes: tuple[int, ...]  # candidates judged per pending plan: its shortlist, or its head


def seconds_per_request(windows: Sequence[UsageWindow | None]) -> list[float]:
    """cpu_seconds_per_request of each window (NaN for None), the windows of one length as
    one matrix: its rule row by row (service_seconds_rows), the same row sums, without a dozen
    numpy calls per service."""
    lengths: dict[int, list[int]] = {}
    for index, window in enumerate(windows):
        if window is not None:
            lengths.setdefault(window.points, []).append(index)
    seconds = [math.nan] * len(windows)
    for indices in lengths.values():
        rows = [windows[i] for i in indices]
        found = service_seconds_rows(
            np.stack([w.cpu_used_mean_cores for w in rows if w is not None]),
            np.stack([w.requests_per_s for w in rows if w is not None]),
        )
        for index, value in zip(indices, found.tolist(), strict=True):
            seconds[index] = value
    return seconds


def _hearing(
    ctx: ServiceContext, plans: Sequence[Plan | Recommendation], service_s: float
) -> _Hearing | None:
    """The first round's hearing: the current config and each shortlist's first HEADS
    candidates (the cheapest; every candidate when HEADS is None). `service_s`: the plans'
    window's cpu_seconds_per_request."""
    pending = [p for p in plans if isinstance(p, Plan)]
    if not pending:
        return None
    window = pending[0].window
    if _latency_uncalibrated(window, service_s):
        window = _without_latency(window)
        pending = [_noting(p, {"latency_model": UNCALIBRATED}) for p in pending]
    grids = [p.search.grid for p in pending]
    candidates = _with_current(ctx.config, grids, HEADS)
    # hourly=False: a Recommendation keeps the verdict's numbers, never its hourly arrays.
    sla, policy = ctx.service.sla, ctx.policy
    # service_s: of this window's mean CPU and traffic, which a blanked latency leaves as they are
    judgement = Judgement(
        window, ctx.config, candidates, sla, policy, hourly=False, service_s=service_s
    )
    sizes = tuple(len(g) if HEADS is None else min(len(g), HEADS) for g in grids)
    return _Hearing(window, pending, judgement, sizes)


def _everyone(ctx: ServiceContext, hearing: _Hearing) -> _Hearing:
    """The second round's hearing on the current config and every shortlisted candidate
    (built only for the services a head failed: most services never need it)."""
    grids = [p.search.grid for p in hearing.pending]
    j = hearing.judgement  # field by field, as in plan
    candidates = _with_current(ctx.config, grids)
    judgement = Judgement(
        j.usage, j.current, candidates, j.sla, j.policy, j.demand_scale, j.hourly, j.service_s
    )
    return _Hearing(hearing.window, hearing.pending, judgement, tuple(len(g) for g in grids))


def _verdict(
    ctx: ServiceContext,
    plans: Sequence[Plan | Recommendation],
    hearing: _Hearing,
    verdicts: CandidateVerdicts,
) -> list[Recommendation]:
    try:
        return _verdict_or_raise(ctx, plans, hearing, verdicts)
    except EngineError as error:  # one service's pricing gap must not sink the batch
        return [
            cannot_evaluate(p.search.kind, ctx, error) if isinstance(p, Plan) else p for p in plans
        ]


def _verdict_or_raise(
    ctx: ServiceContext,
    plans: Sequence[Plan | Recommendation],
    hearing: _Hearing,
    verdicts: CandidateVerdicts,
) -> list[Recommendation]:
    candidates, window = hearing.judgement.candidates, hearing.window
    now = verdict_at(verdicts, 0, candidates, sla=ctx.service.sla, policy=ctx.policy)
    stats = hearing.pending[0].stats  # of the plans' window: the latency it lacks is not read
    band = confidence(window, ctx.config.replicas, ctx.profile, stats=stats)  # every plan's
    cost_now = to_money(config_cost(ctx.config, region=ctx.service.region, catalog=ctx.catalog))
    facts = window_facts(window, finite_points=stats.finite_points)
    judged = Judged(verdicts, candidates, now, band, cost_now, facts)
    picks = iter(pick(ctx, window, p, judged, span) for p, span in _offsets(hearing))
    return [next(picks) if isinstance(p, Plan) else p for p in plans]


def _decided(plans: Sequence[Plan | Recommendation]) -> Iterator[Recommendation]:
    return (p for p in plans if isinstance(p, Recommendation))


def _offsets(hearing: _Hearing) -> list[tuple[Plan, tuple[int, int]]]:
    """Each plan with the index of its first judged candidate (after the current config at 0)
    and how many of its candidates were judged."""
    starts = itertools.accumulate(hearing.sizes[:-1], initial=1)
    return list(zip(hearing.pending, zip(starts, hearing.sizes, strict=True), strict=True))


def _noting(plan: Plan, note: Mapping[str, FactValue]) -> Plan:
    return replace(plan, search=replace(plan.search, detail={**plan.search.detail, **note}))


def _latency_uncalibrated(window: UsageWindow, service_s: float) -> bool:
    """The M/M/c service time alone (p95 = s × ln 20) exceeds the median observed p95 latency:
    the model cannot describe this service (CPU is not per-request work), so it is not used."""
    observed = window.latency_p95_ms[np.isfinite(window.latency_p95_ms)]
    if len(observed) == 0 or not np.isfinite(service_s):
        return False
    model_ms = 1000.0 * service_s * math.log(20.0)
    settled = _against_median(observed, model_ms)
    return settled if settled is not None else bool(model_ms > nan_percentile(observed, 50.0))


def _against_median(observed: FloatArray, model_ms: float) -> bool | None:
    """model_ms > the median of `observed` (finite) decided by a count, None when it cannot be:
    the median interpolates between the order statistics at ranks low and high, so it is at
    least the low-th and at most the high-th (below + (above − below) · f, f in [0, 1), rounds
    within them while above − below is finite: the spread bound below keeps it so). More than
    high values below model_ms put it above the high-th, at most low values at or under the
    low-th. Why: a partition of every hour per service, for one comparison."""
    count = len(observed)
    low = (count - 1) // 2  # math.floor((count − 1) · 50 / 100): the rank's integer part
    high = min(low + 1, count - 1)
    below = int(np.count_nonzero(observed < model_ms))
    if low < below <= high or not np.abs(observed).max() < SPREAD_BOUND:
        return None
    return below > high


def _with_current(
    current: CapacityConfig, shortlists: list[CandidateGrid], head: int | None = None
) -> Candidates:
    """The current config as candidate 0, then the shortlists (their first `head` candidates
    when given) in order. The shortlists were checked as Candidates when screened (plan) and
    CapacityConfig checks replicas and zones: only the current size is left to check here."""
    if not (current.vcpu_per_replica >= 0 and current.memory_gib_per_replica >= 0):
        raise ValueError("per-replica vCPU and memory must be >= 0")
    return Candidates.checked_already(
        *(
            np.concatenate(
                [[getattr(current, name)], *(getattr(g, name)[:head] for g in shortlists)]
            )
            for name in ("replicas", "vcpu_per_replica", "memory_gib_per_replica", "zones")
        )
    )


def _without_latency(window: UsageWindow) -> UsageWindow:
    return replace(window, latency_p95_ms=np.full(window.points, np.nan))
