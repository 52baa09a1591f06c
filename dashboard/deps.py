"""Process-wide resources (st.cache_resource): settings, the clock, the session factory; and
`cached_query`, the st.cache_data the query modules use, keyed by the data version."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from streamlit.runtime.caching.cache_utils import CachedFunc
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from data.db import make_engine, make_sessions
from data.logs import configure_logging
from data.repos.data_version import DataVersion, data_version
from data.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")
_UNKNOWN_VERSIONS = itertools.count()
_RUN_VERSION = "_tightrope_data_version"  # the run's version, kept on its ScriptRunContext


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


def current_data_version() -> DataVersion:
    """The database's data version, read once per script run (data.repos.data_version).

    Read at the first cached query of a run and reused by the rest of that run, so a page pays
    one small read, and a write through any replica or the sidecar shows at the next run here.
    A run is told apart by its context's `cursors` dict, which Streamlit makes anew for every
    run (and fragment run); outside a script run the version is read on every call.
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return _read_data_version()
    remembered: tuple[object, DataVersion] | None = getattr(ctx, _RUN_VERSION, None)
    if remembered is not None and remembered[0] is ctx.cursors:
        return remembered[1]
    version = _read_data_version()
    setattr(ctx, _RUN_VERSION, (ctx.cursors, version))
    return version


def data_changed() -> None:
    """After a write in this run (a button callback runs at the start of its run): forget the
    run's remembered version, so the rest of the run keys its reads by the version the write
    moved and reads afresh. Nothing is cleared: other sessions' entries stay valid for theirs."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and hasattr(ctx, _RUN_VERSION):
        delattr(ctx, _RUN_VERSION)


def _read_data_version() -> DataVersion:
    """One read of the version. When it cannot be read (a database not migrated yet, or down)
    the version is one no other call gets, so nothing cached is reused; the query itself then
    meets the same problem and raises it where the page already handles it."""
    try:
        with sessions()() as session:
            return data_version(session)
    except SQLAlchemyError:
        return (-1, next(_UNKNOWN_VERSIONS))


class CachedQuery(Generic[P, R]):
    """`fn` under st.cache_data, keyed by its arguments AND the data version (decision 031).

    Every call reads the data version and passes it as a hashed keyword, so an entry is reused
    only while nothing it could show has been written, by this replica or any other. The TTL
    (the configured query TTL, capped at `max_ttl_s`) is only a bound on memory now: stale
    versions' entries age out. The cache is built on the first call, not at import, so the
    settings are read once per process where the entrypoint's `settings()` reads them.
    """

    def __init__(self, fn: Callable[P, R], max_ttl_s: int | None) -> None:
        self._fn = fn
        self._max_ttl_s = max_ttl_s
        self._cached: CachedFunc[..., R] | None = None
        self.__doc__ = fn.__doc__

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._cache()(*args, data_version=current_data_version(), **kwargs)

    def clear(self) -> None:
        """Drop every entry of this function's cache."""
        self._cache().clear()

    def _cache(self) -> CachedFunc[..., R]:
        if self._cached is None:
            ttl_s = settings().query_cache_ttl_s
            if self._max_ttl_s is not None:
                ttl_s = min(ttl_s, self._max_ttl_s)
            self._cached = st.cache_data(ttl=ttl_s, show_spinner=False)(_keyed(self._fn))
        return self._cached


def _keyed(fn: Callable[..., R]) -> Callable[..., R]:
    """`fn` with a `data_version` keyword that only keys the cache. functools.wraps keeps fn's
    name and source (st.cache_data's function key) and its signature (which positional
    arguments start with "_" and so stay out of the key)."""

    @functools.wraps(fn)
    def keyed(*args: Any, data_version: DataVersion, **kwargs: Any) -> R:
        return fn(*args, **kwargs)

    return keyed


def cached_query(*, max_ttl_s: int | None = None) -> Callable[[Callable[P, R]], CachedQuery[P, R]]:
    """Decorator: a cached read keyed by the data version (see `CachedQuery`)."""

    def wrap(fn: Callable[P, R]) -> CachedQuery[P, R]:
        return CachedQuery(fn, max_ttl_s)

    return wrap
