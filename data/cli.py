"""The shared shape of Tightrope's command-line entrypoints (python -m data, python -m jobs)."""

from __future__ import annotations

import argparse
import logging

from sqlalchemy.exc import SQLAlchemyError

from data.errors import DataError
from data.logs import configure_logging
from data.settings import Settings


def run(parser: argparse.ArgumentParser, argv: list[str] | None, log: logging.Logger) -> int:
    """Parse, build Settings once, configure logging, run the handler; errors → exit code 2.

    Each subcommand sets `handler(settings, args) -> int` with `set_defaults`.
    """
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings)
    try:
        return int(args.handler(settings, args))
    except DataError as error:
        log.error("%s", error)
        return 2
    except SQLAlchemyError as error:
        log.error("database error (is the schema migrated? `python -m data migrate`): %s", error)
        return 2
