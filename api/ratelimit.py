"""A token bucket per API key, in this process: `rate_per_s` sustained, `burst` at once.

In process on purpose: one API process per deployment today, and a limit that resets on restart
is enough to stop a runaway script. Several replicas would each allow the rate (documented).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at_s: float


class RateLimiter:
    """`limiter.take(key)`: None when allowed, else the seconds until a token is back."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self._rate_per_s = rate_per_s
        self._burst = float(burst)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()  # sync routes run on a thread pool

    def take(self, key: str) -> int | None:
        now_s = time.monotonic()  # a duration, not "now": the injected clock is not for this
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(self._burst, now_s))
            bucket.tokens = min(
                self._burst, bucket.tokens + (now_s - bucket.at_s) * self._rate_per_s
            )
            bucket.at_s = now_s
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - bucket.tokens) / self._rate_per_s))
