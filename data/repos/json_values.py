"""Values as JSON and NUMERIC columns take them: plain JSON (no NaN) and exact decimals."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np


def to_json(value: Any) -> Any:
    """Plain JSON value: dataclasses → dicts, numpy → Python, tuples → lists, NaN/±inf → None.

    PostgreSQL JSONB rejects NaN and Infinity, so non-finite numbers become null everywhere.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return [to_json(v) for v in value]
    if isinstance(value, np.generic):
        return to_json(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_money(usd: float) -> Decimal:
    """Exact decimal for a float amount (same rule as the cost repository); NaN is refused."""
    if not math.isfinite(usd):
        raise ValueError(f"money must be finite, got {usd!r}")
    # repr() keeps the float's shortest exact decimal form; Decimal(float) would not.
    return Decimal(repr(float(usd))).quantize(Decimal("1e-10"))
