"""The shared shape of Tightrope's command-line entrypoints (python -m data, python -m jobs)."""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from data.errors import DataError

if TYPE_CHECKING:
    from data.settings import Settings

Handler = Callable[["Settings", argparse.Namespace], int]


@dataclass(frozen=True, slots=True)
class Lazy:
    """A subcommand's handler named by module and function and imported when it runs.

    The parser itself stays light: `--help`, a usage error and every other subcommand skip
    the handler's imports (SQLAlchemy, pandas, the connectors: ~2 s of CPU for all of them),
    which tests and the sidecar's operators pay at every process start.
    """

    module: str
    function: str

    def resolve(self) -> Handler:
        handler: Handler = getattr(importlib.import_module(self.module), self.function)
        return handler

    def __call__(self, settings: Settings, args: argparse.Namespace) -> int:
        return int(self.resolve()(settings, args))


def run(parser: argparse.ArgumentParser, argv: list[str] | None, log: logging.Logger) -> int:
    """Parse, build Settings once, configure logging, run the handler; errors → exit code 2.

    Each subcommand sets `handler(settings, args) -> int` with `set_defaults`.
    """
    args = parser.parse_args(argv)
    # Imported after parsing: `--help` and usage errors exit without paying for pydantic.
    from data.logs import configure_logging
    from data.settings import Settings

    settings = Settings()
    configure_logging(settings)
    try:
        return int(args.handler(settings, args))
    except DataError as error:
        log.error("%s", error)
        return 2
    except Exception as error:
        # A database error can only come from a handler that imported SQLAlchemy already.
        from sqlalchemy.exc import SQLAlchemyError

        if not isinstance(error, SQLAlchemyError):
            raise
        log.error("database error (is the schema migrated? `python -m data migrate`): %s", error)
        return 2
