"""M/M/c queueing maths: Erlang C and response-time quantiles, vectorized and overflow-free.

Erlang C is computed from Erlang B, B(c, a) = pmf(c; a) / cdf(c; a) for a Poisson(a), through
Jagerman's integral, which extends it to any real server count c > 0:

    1/B(c, a) = a ∫₀^∞ e^(−a·y) (1 + y)^c dy = Q(c + 1, a) / pmf(c; a)

Substituting y = e^u − 1 and d = u − u* (u* = ln(m/a), m = c + 1, the integrand's peak) gives

    ln(1/B) = ln a + m·(ln(m/a) − 1) + a + ln ∫ exp(−m·(e^d − 1 − d)) dd,   d ∈ [−u*, ∞)

whose integrand is ≤ 1, peaks at d = 0 with width 1/√m and is gamma-shaped for small m,
Gaussian for large m. Fixed Gauss–Legendre panels on a window of ≥ 40 e-folds either side
integrate it: no factorials, no overflow, the same cost for c = 1 and c = 10,000, and every
case in one vectorized pass. Measured against exact Poisson sums and a converged series for
c ∈ [0.01, 10⁴], a/c ∈ [1e-12, 1 − 1e-6]: |relative error of B| < 5e-8.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray

_NODES_PER_PANEL = 10
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_NODES_PER_PANEL)
_NODES = (_GL_X + 1.0) / 2.0  # on [0, 1]
_WEIGHTS = _GL_W / 2.0
# Panel edges as fractions of each side's window: finer near the peak, where the curvature is.
_RIGHT_EDGES = np.array([0.0, 0.3, 1.0])
_LEFT_EDGES = np.array([0.0, 0.15, 0.45, 1.0])
# Window half-widths keep every dropped tail below e^-40 of the peak (see _log_inverse_erlang_b).
_TAIL_E_FOLDS = 40.0
_GAUSS_WIDTHS = 9.0
_CHUNK = 2048  # elements per quadrature pass: keeps the (panels × nodes × chunk) scratch in cache
_NEWTON_STEPS = 60
_TOLERANCE = 1e-13


def erlang_c(servers: npt.ArrayLike, offered_load: npt.ArrayLike) -> FloatArray:
    """Probability that an arriving request waits in an M/M/c queue (Erlang C).

    Rule: C = B / (1 − ρ·(1 − B)) with ρ = a / c and B the continuous Erlang B above, so
    non-integer server counts (1.5 cores) lie between their integer neighbours. Broadcasts
    `servers` (c, may be fractional) against `offered_load` (a = λ/μ, in servers). a ≥ c, or
    no servers, → 1 (the queue never drains); a = 0 → 0; NaN in → NaN out; never warns.
    """
    own = _floats(servers)
    c, a = np.broadcast_arrays(own, _floats(offered_load))
    if np.any(c < 0) or np.any(a < 0):
        raise ValueError("servers and offered_load must be >= 0")
    out = np.where((c <= 0) | (a >= c), 1.0, 0.0)
    out[np.isnan(c) | np.isnan(a)] = np.nan
    stable = (c > 0) & (a > 0) & (a < c) & np.isfinite(c)
    if stable.any():
        right = np.broadcast_to(_right_area(own), c.shape)
        out[stable] = _stable_erlang_c(c[stable], a[stable], right[stable])
    return out


def response_time_quantile_s(
    quantile: npt.ArrayLike,
    arrival_per_s: npt.ArrayLike,
    service_s: npt.ArrayLike,
    servers: npt.ArrayLike,
) -> FloatArray:
    """The q-quantile of the M/M/c FCFS response time (wait + service), in seconds.

    Rule: the wait is 0 with probability 1 − C and Exp(cμ − λ) otherwise; service is Exp(μ),
    μ = 1/service_s. In units of 1/μ, with k = c − λ/μ, the tail is

        P(T > x) = e^(−x) + C·(e^(−x) − e^(−k·x)) / (k − 1)     (→ e^(−x)·(1 + C·x) at k = 1)

    solved for P(T > x) = 1 − q by Newton's method on ln P, safeguarded by a shrinking
    bracket [−ln(1 − q), 2·ln(3/(1 − q))/min(1, k)] (bisection whenever a step leaves it).
    λ = 0 → the service-time quantile; λ/μ ≥ c or no servers → inf; NaN in → NaN out.
    Broadcasts all four arguments; never warns.
    """
    q, lam, s, c = np.broadcast_arrays(*map(_floats, (quantile, arrival_per_s, service_s, servers)))
    if np.any((q <= 0) | (q >= 1)):
        raise ValueError("quantile must lie strictly between 0 and 1")
    if np.any(lam < 0) or np.any(s < 0) or np.any(c < 0):
        raise ValueError("arrival_per_s, service_s and servers must be >= 0")
    with np.errstate(invalid="ignore"):
        load = lam * s  # inf·0 → NaN only for corrupt input, which then stays NaN
    p = 1.0 - q
    x = np.array(-np.log(p))  # service-time quantile in units of 1/μ; the wait only adds to it
    queued = (c > 0) & (load > 0) & (load < c)
    if queued.any():
        right = np.broadcast_to(_right_area(_floats(servers)), c.shape)[queued]
        wait = _wait_probability(c[queued], load[queued], p[queued], right)
        x[queued] = _solve_tail(p[queued], wait, c[queued] - load[queued])
    x[(c <= 0) | (load >= c)] = np.inf
    with np.errstate(invalid="ignore"):
        out = np.array(x * s)  # x = inf with s = 0 → NaN is replaced below
    out[(x == np.inf) & ~np.isnan(s)] = np.inf
    out[np.isnan(q) | np.isnan(lam) | np.isnan(s) | np.isnan(c) | np.isnan(load)] = np.nan
    return out


def _floats(value: npt.ArrayLike) -> FloatArray:
    return np.asarray(value, dtype=np.float64)


def _stable_erlang_c(servers: FloatArray, load: FloatArray, right_area: FloatArray) -> FloatArray:
    """Erlang C for 0 < load < servers, given the right-of-peak area from _right_area."""
    b = np.exp(-_log_inverse_erlang_b(servers + 1.0, load, right_area))
    rho = load / servers
    wait: FloatArray = np.minimum(b / ((1.0 - rho) + rho * b), 1.0)
    return wait


def _right_area(servers: FloatArray) -> FloatArray:
    """The integral right of the peak: it depends on c alone, so it is computed before
    broadcasting against the load (once per candidate rather than per candidate-hour).

    The integrand falls as exp(−m·(e^d − 1 − d)), so d ≤ min(9/√m, ln(1 + 45/m) + 0.5) keeps
    ≥ 40 e-folds.
    """
    m = np.where((servers > 0) & np.isfinite(servers), servers, 1.0).ravel() + 1.0
    out = np.empty_like(m)
    for start in range(0, m.size, _CHUNK):
        mm = m[start : start + _CHUNK]
        window = np.minimum(_GAUSS_WIDTHS / np.sqrt(mm), np.log1p(45.0 / mm) + 0.5)
        out[start : start + _CHUNK] = _panels(mm, window, _RIGHT_EDGES)
    return out.reshape(np.shape(servers))


def _log_inverse_erlang_b(m: FloatArray, load: FloatArray, right_area: FloatArray) -> FloatArray:
    """ln(1/B) for m = c + 1 and 0 < load < c: the left-of-peak area by chunked fixed panels.

    Left of the peak the integrand falls no slower than exp(−m·(|d| − 1)), so |d| ≤ 9/√m + 40/m
    keeps ≥ 40 e-folds, and the window stops at u = 0 (d = −u*) where the integral does.
    """
    out = np.empty_like(m)
    for start in range(0, m.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        mm, aa = m[part], load[part]
        window = np.minimum(
            np.log(mm) - np.log(aa), _GAUSS_WIDTHS / np.sqrt(mm) + _TAIL_E_FOLDS / mm
        )
        area = right_area[part] + _panels(mm, -window, _LEFT_EDGES)
        out[part] = np.log(aa) + _log_peak(mm, aa) + np.log(area)
    return out


def _log_peak(m: FloatArray, load: FloatArray) -> FloatArray:
    """m·ln(m/a) − (m − a) ≥ 0, via log1p near a ≈ m where the two terms nearly cancel."""
    gap = (m - load) / m
    near = gap < 0.5
    safe_gap = np.where(near, gap, 0.0)
    # ln(m) − ln(a), not ln(m/a): a subnormal load would overflow the ratio.
    far = m * (np.log(m) - np.log(load)) - (m - load)
    peak: FloatArray = np.where(near, m * (-np.log1p(-safe_gap) - safe_gap), far)
    return peak


def _panels(m: FloatArray, window: FloatArray, edges: FloatArray) -> FloatArray:
    """∫ exp(−m·(e^d − 1 − d)) over d between 0 and `window` (signed), split at `edges`."""
    starts = edges[:-1, None] * window  # (panels, n)
    widths = np.diff(edges)[:, None] * window
    d = starts[:, None, :] + widths[:, None, :] * _NODES[None, :, None]  # (panels, nodes, n)
    f = np.exp(d)
    f -= 1.0
    f -= d  # e^d − 1 − d: absolute error ~1e-16, i.e. ~m·1e-16 in the exponent, negligible
    f *= -m
    np.exp(f, out=f)
    area: FloatArray = np.einsum("j,pjn,pn->n", _WEIGHTS, f, np.abs(widths))
    return area


def _wait_probability(
    servers: FloatArray, load: FloatArray, p: FloatArray, right_area: FloatArray
) -> FloatArray:
    """Erlang C where it can move the quantile by more than 1e-15 relative, else 0.

    ln(1/B) ≥ ln a + m·(ln(m/a) − 1) + a − ½·ln m − 1.36 (the integrand is ≥ e^(−1.36) on the
    first 1/√m of the peak), C ≤ B / (1 − ρ), and the root moves by at most C/p relative.
    """
    m = servers + 1.0
    log_bound = 1.36 + 0.5 * np.log(m) - np.log(load) - _log_peak(m, load)
    log_bound -= np.log1p(-load / servers)
    material = log_bound > np.log(1e-15 * p)
    wait = np.zeros_like(servers)
    wait[material] = _stable_erlang_c(servers[material], load[material], right_area[material])
    return wait


def _solve_tail(p: FloatArray, wait_probability: FloatArray, k: FloatArray) -> FloatArray:
    """x with P(T > x) = p, T in units of 1/μ; Newton on ln P inside a shrinking bracket.

    Works on compacted copies of the unconverged elements: most converge in 1–4 steps.
    """
    log_p = np.log(p)
    x = np.clip(_initial_guess(log_p, wait_probability, k), -log_p, np.inf)
    idx = np.flatnonzero(wait_probability > 0)
    xi, lp, wait, ki = x[idx], log_p[idx], wait_probability[idx], k[idx]
    lo, hi = -lp, 2.0 * np.log(3.0 / p[idx]) / np.minimum(ki, 1.0)
    xi = np.minimum(xi, hi)
    for _ in range(_NEWTON_STEPS):
        if idx.size == 0:
            break
        excess, slope = _log_tail(xi, wait, ki)
        excess -= lp
        above = excess > 0
        lo, hi = np.where(above, xi, lo), np.where(above, hi, xi)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = xi - excess / slope
        step = np.where((step >= lo) & (step <= hi), step, np.sqrt(lo * hi))
        moving = np.abs(step - xi) > _TOLERANCE * step
        x[idx[~moving]] = step[~moving]
        idx = idx[moving]
        xi, lp, wait, ki, lo, hi = (v[moving] for v in (step, lp, wait, ki, lo, hi))
    x[idx] = xi
    return x


def _initial_guess(log_p: FloatArray, wait_probability: FloatArray, k: FloatArray) -> FloatArray:
    """Where the dominant term of the tail alone reaches p (exact for M/M/1)."""
    with np.errstate(divide="ignore"):
        fast_wait = -log_p + np.log1p(wait_probability / np.maximum(k - 1.0, 1e-300))
        slow_wait = (np.log(wait_probability) - np.log(np.maximum(1.0 - k, 1e-300)) - log_p) / k
    return np.where(k > 1.0, fast_wait, np.maximum(slow_wait, -log_p))


def _log_tail(
    x: FloatArray, wait_probability: FloatArray, k: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """ln P(T > x) and its derivative, in log space so that nothing overflows or underflows.

    With a = min(1, k), Δ = |k − 1| and h(z) = (1 − e^(−z))/z:
    P = e^(−x) + C·e^(−a·x)·x·h(Δ·x) and P' = −e^(−x) + C·e^(−a·x)·(e^(−Δ·x) − a·x·h(Δ·x)).
    """
    a = np.minimum(k, 1.0)
    z = np.abs(k - 1.0) * x
    small = z < 1e-8
    safe_z = np.where(small, 1.0, z)
    spread = x * np.where(small, 1.0 - z / 2.0, -np.expm1(-safe_z) / safe_z)  # x·h(Δx) > 0
    with np.errstate(divide="ignore"):
        log_waited = np.log(wait_probability) - a * x + np.log(spread)
    log_tail = np.logaddexp(-x, log_waited)
    slope = (
        -np.exp(-x - log_tail) + np.exp(log_waited - log_tail) * (np.exp(-z) - a * spread) / spread
    )
    return log_tail, slope
