"""Process-wide resources (st.cache_resource): settings, the clock, the session factory; and
`cached_query`, the st.cache_data the query modules use with the configured TTL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Generic, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy.orm import Session, sessionmaker
from streamlit.runtime.caching.cache_utils import CachedFunc

from data.db import make_engine, make_sessions
from data.logs import configure_logging
from data.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """TIGHTROPE_* settings (and .env), read once per process; logging is set up here too."""
    built = Settings()
    configure_logging(built)
    return built


def now() -> datetime:
    """The page's "now", from the one clock the settings name (never the wall clock directly)."""
    return settings().clock().now()


def _dispose(factory: sessionmaker[Session]) -> None:
    factory.kw["bind"].dispose()


@st.cache_resource(show_spinner=False, on_release=_dispose)
def sessions() -> sessionmaker[Session]:
    """One engine and session factory per process; the pool closes when the cache is cleared."""
    return make_sessions(make_engine(settings()))


class CachedQuery(Generic[P, R]):
    """`fn` under st.cache_data, its TTL the configured query TTL (capped at `max_ttl_s`).

    The cache is built on the first call, not at import, so the settings are read once per
    process where the entrypoint's `settings()` reads them, never when a module is imported.
    """

    def __init__(self, fn: Callable[P, R], max_ttl_s: int | None) -> None:
        self._fn = fn
        self._max_ttl_s = max_ttl_s
        self._cached: CachedFunc[P, R] | None = None
        self.__doc__ = fn.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._cache()(*args, **kwargs)

    def clear(self) -> None:
        """Drop every entry of this function's cache."""
        self._cache().clear()

    def _cache(self) -> CachedFunc[P, R]:
        if self._cached is None:
            ttl_s = settings().query_cache_ttl_s
            if self._max_ttl_s is not None:
                ttl_s = min(ttl_s, self._max_ttl_s)
            self._cached = st.cache_data(ttl=ttl_s, show_spinner=False)(self._fn)
        return self._cached


def cached_query(*, max_ttl_s: int | None = None) -> Callable[[Callable[P, R]], CachedQuery[P, R]]:
    """Decorator: a cached read with the configured TTL (see `CachedQuery`)."""

    def wrap(fn: Callable[P, R]) -> CachedQuery[P, R]:
        return CachedQuery(fn, max_ttl_s)

    return wrap
