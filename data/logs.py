"""Logging setup for entrypoints only (dashboard, sidecar, CLI); libraries just call getLogger."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from data.settings import Settings

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(settings: Settings) -> None:
    """Send every record to stderr, as text or as one JSON object per line."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(JsonFormatter(_JSON_FIELDS, rename_fields={"levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # SQLAlchemy logs at INFO through its own switch (database_echo); keep it quiet otherwise.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
