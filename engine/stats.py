"""Percentiles of hourly series, ignoring NaN: one partition, no per-call numpy dispatch."""

from __future__ import annotations

import math

import numpy as np

from engine.arrays import FloatArray


def nan_percentiles(values: FloatArray, percentiles: tuple[float, ...]) -> tuple[float, ...]:
    """np.nanpercentile(values, p) for each p (numpy's default "linear" method), NaN-free.

    Rule: in sorted order (NaN last), n = count of non-NaN values; the p-th percentile sits at
    rank (n − 1)·p/100 and interpolates linearly between its neighbours; NaN when n = 0.
    About 10× faster than np.nanpercentile on a few hundred points, which the rules call for
    every service.
    """
    count = int(np.count_nonzero(~np.isnan(values)))
    if count == 0:
        return tuple(math.nan for _ in percentiles)
    ranks = [(count - 1) * p / 100.0 for p in percentiles]
    # Only the neighbours of each rank need their sorted place: a partition puts exactly those
    # values there (NaN last, as in a sort) in linear time — 90 days of hours made a sort the cost.
    kth = sorted({i for r in ranks for i in (math.floor(r), min(math.floor(r) + 1, count - 1))})
    ordered = np.partition(values, kth)
    return tuple(_at_rank(ordered, rank, count) for rank in ranks)


def nan_percentile(values: FloatArray, percentile: float) -> float:
    """One percentile by the rule of `nan_percentiles`."""
    return nan_percentiles(values, (percentile,))[0]


def _at_rank(ordered: FloatArray, rank: float, count: int) -> float:
    low = math.floor(rank)
    high = min(low + 1, count - 1)
    below, above = float(ordered[low]), float(ordered[high])
    if below == above:  # also keeps ±inf exact instead of inf − inf = NaN
        return below
    return below + (above - below) * (rank - low)
