"""Frozen slotted dataclasses pickled by their constructor: a recompute ships every result back."""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")


def by_constructor(cls: type[T]) -> type[T]:
    """Pickle `cls` as `cls(*field values)` instead of dataclasses' slotted `__setstate__`.

    Why: that `__setstate__` calls `dataclasses.fields()` for every object it restores, which
    made unpickling a recompute's results (five nested values per recommendation, 50,000 of
    them for 10,000 services) cost ~1.6 s of the receiving process's CPU; the constructor loads
    them in ~60 % of the time. The same values come back: `__post_init__` checks or normalizes
    what it already checked or normalized. Apply it outside `@dataclass` (it needs the fields).
    """
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    values = attrgetter(*names)  # a tuple for two names or more, the value itself for one
    single = len(names) == 1

    def reduce(self: T) -> tuple[type[T], tuple[Any, ...]]:
        return cls, (values(self),) if single else values(self)

    setattr(cls, "__reduce__", reduce)  # noqa: B010
    return cls
