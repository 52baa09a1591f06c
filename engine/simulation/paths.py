"""Monte Carlo paths: hour-of-week residual resampling, as draws of observed hours.

Each series is split in log space into its hour-of-week median and a residual,
r_s = ln x_s − ln median_how(s). A path redraws, for every replayed hour t, the residual of a
random observed hour s of the same hour-of-week (all series jointly, so requests, CPU, memory
and latency stay consistent). Because the median is the same for t and s,

    x_path(t) = median_how(t) · exp(r_s) = x_s,

a path-hour *is* the observed hour it drew. So every per-hour quantity (latency, utilization,
cost) is computed once on the observed hours (2,160 latency model evaluations, not 1.08 M),
and a path is a paths × hours array of integer draws, kept as counts: how often each path drew
each observed hour. A per-path sum of any hourly column is then one matrix product. The
per-hour band is the distribution every path samples at that hour — uniform over the
hour-of-week's observed values — taken exactly rather than estimated from the draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.arrays import FloatArray
from engine.units import HOURS_PER_WEEK

IntArray = npt.NDArray[np.intp]
BAND_QUANTILES = (0.05, 0.50, 0.95)
PATHS_PER_CHUNK = 100  # 100 × 2,160 int64 keys ≈ 1.7 MB: stays in cache


@dataclass(frozen=True, slots=True)
class PathDraws:
    """The draws of every path, as counts, with the hour-of-week pools they came from.

    `counts`: paths × hours, how often each path drew each observed hour, columns in
    `order` (observed hours sorted by hour-of-week, so a pool is a contiguous block).
    `pool_start`: for each position in `order`, where its pool's block starts.
    `pool_members`: hours × pool width, the observed hours sharing each hour's hour-of-week,
    padded with `hours` (an out-of-range index).
    """

    counts: npt.NDArray[np.float32]  # small whole numbers: exact in float32
    order: IntArray
    pool_start: IntArray
    pool_members: IntArray

    @property
    def paths(self) -> int:
        """How many Monte Carlo paths were drawn."""
        return int(self.counts.shape[0])

    def path_sums(self, columns: FloatArray) -> FloatArray:
        """Per path, the sum over its hours of each column of an hours × k array.

        Rule: a column constant within every hour-of-week pool sums as the replay does (every
        path then sums the same values); 0/1 columns sum in float32 (exact below 2^24 hours);
        other columns (prices under autoscaling) in float64.
        """
        ordered = columns[self.order]
        constant = np.all(ordered == ordered[self.pool_start], axis=0)
        flags = np.all((ordered == 0.0) | (ordered == 1.0), axis=0) & ~constant
        other = ~constant & ~flags
        sums = np.empty((self.paths, columns.shape[1]))
        # Summed at full width, as the replay is: numpy's summation order depends on the
        # width, and "no change" must come out as exactly $0, not ±1e-12.
        sums[:, constant] = columns.sum(axis=0)[constant]
        for column in np.flatnonzero(flags):
            sums[:, column] = _row_dot(self.counts, ordered[:, column].astype(np.float32))
        if other.any():
            counts = self.counts.astype(np.float64)
            for column in np.flatnonzero(other):
                sums[:, column] = _row_dot(counts, ordered[:, column])
        return sums

    def counts_by_observed_hour(self) -> npt.NDArray[np.int64]:
        """paths × hours counts with columns in observed (time) order."""
        by_hour: npt.NDArray[np.int64] = self.counts[:, np.argsort(self.order)].astype(np.int64)
        return by_hour


@dataclass(frozen=True, slots=True)
class Band:
    """Per replayed hour: the 5th, 50th and 95th percentile across paths (nearest rank)."""

    p5: FloatArray
    p50: FloatArray
    p95: FloatArray


def hour_of_week(hour_start: npt.NDArray[np.datetime64]) -> IntArray:
    """0..167 for each UTC hour; 0 is Thursday 00:00 (the epoch), a label, not a weekday."""
    hours = hour_start.astype("datetime64[h]").astype(np.int64)
    labels: IntArray = (hours % HOURS_PER_WEEK).astype(np.intp)
    return labels


def week_weights(hour_start: npt.NDArray[np.datetime64]) -> FloatArray:
    """Weight of each hour in an average week: 1 / (hours-of-week present × its occurrences).

    Rule: every hour-of-week present counts equally however often the window holds it, so a
    window of 12.9 weeks averages like whole weeks; the weights sum to 1.
    """
    how = hour_of_week(hour_start)
    occurrences = np.bincount(how, minlength=HOURS_PER_WEEK)
    present = np.count_nonzero(occurrences)
    weights: FloatArray = 1.0 / (present * occurrences[how].astype(np.float64))
    return weights


def draw_paths(hour_start: npt.NDArray[np.datetime64], *, paths: int, seed: int) -> PathDraws:
    """Draw `paths` paths: each hour takes a uniformly random observed hour of its hour-of-week.

    Rule: one seeded np.random.Generator (PCG64) per call, 16 random bits per path-hour,
    vectorized over paths × hours (in chunks of 100 paths); the same seed, the same draws.
    """
    how = hour_of_week(hour_start)
    hours = len(how)
    order = np.argsort(how, kind="stable")
    sizes = np.bincount(how, minlength=HOURS_PER_WEEK)
    size_t = sizes[how]
    start_t = (np.cumsum(sizes) - sizes)[how]
    rng = np.random.default_rng(seed)
    counts = np.empty((paths, hours), dtype=np.float32)
    for first in range(0, paths, PATHS_PER_CHUNK):  # chunks keep the passes in cache
        chunk = counts[first : first + PATHS_PER_CHUNK]
        chunk[...] = _draw_counts(rng, len(chunk), size_t, start_t)
    return PathDraws(
        counts=counts,
        order=order,
        pool_start=start_t[order],
        pool_members=_pool_members(order, start_t, size_t),
    )


def _row_dot(matrix: npt.NDArray[np.floating], vector: npt.NDArray[np.floating]) -> FloatArray:
    """matrix @ vector without BLAS: numpy's own loop, single-threaded.

    A BLAS product wakes OpenBLAS's thread pool, whose threads then spin and steal the core the
    rest of the simulation runs on: on the shared 2-core box a simulation took ~53 ms of CPU
    with BLAS products and ~17 ms with this loop (bench/bench_simulation.py).
    """
    product: FloatArray = np.einsum("ph,h->p", matrix, vector).astype(np.float64)
    return product


def _draw_counts(
    rng: np.random.Generator, paths: int, size_t: IntArray, start_t: IntArray
) -> npt.NDArray[np.int64]:
    """paths × hours counts of one chunk of paths, columns in hour-of-week order."""
    hours = len(size_t)
    # Multiply-shift maps 16 random bits onto 0..size-1 (bias <= size / 65536, under 0.1 %);
    # the offsets then make it an index into `order`, one block of `hours` per path.
    keys = rng.integers(0, 1 << 16, (paths, hours), dtype=np.uint16).astype(np.intp)
    keys *= size_t
    keys >>= 16
    keys += start_t
    keys += (np.arange(paths, dtype=np.intp) * hours)[:, None]
    counts = np.bincount(keys.ravel(), minlength=paths * hours)
    return counts.reshape(paths, hours)


def _pool_members(order: IntArray, start_t: IntArray, size_t: IntArray) -> IntArray:
    width = int(size_t.max())
    slot = np.arange(width)[None, :]
    inside = slot < size_t[:, None]
    at = np.where(inside, start_t[:, None] + slot, 0)
    members: IntArray = np.where(inside, order[at], len(order))
    return members


def hourly_band(values: FloatArray, draws: PathDraws) -> Band:
    """Per hour, p5 / p50 / p95 of what a path draws there: its hour-of-week's observed values.

    Rule: the nearest-rank quantile (the ceil(q × k)-th smallest of the k non-NaN pool values,
    the limit of infinitely many paths); NaN when the pool has no value.
    """
    ordered = np.sort(np.append(values, np.nan)[draws.pool_members], axis=1)  # NaN last
    known = np.sum(~np.isnan(ordered), axis=1)
    p5, p50, p95 = (_nearest_rank(ordered, known, q) for q in BAND_QUANTILES)
    return Band(p5=p5, p50=p50, p95=p95)


def _nearest_rank(ordered: FloatArray, known: IntArray, quantile: float) -> FloatArray:
    rank = np.maximum(np.ceil(np.round(quantile * known, 9)).astype(np.intp), 1)
    picked = ordered[np.arange(len(ordered)), np.minimum(rank, ordered.shape[1]) - 1]
    value: FloatArray = np.where(known > 0, picked, np.nan)
    return value
