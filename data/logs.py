"""Logging setup for entrypoints only (dashboard, sidecar, CLI); libraries just call getLogger."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from data.settings import Settings

_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "tightrope"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(settings: Settings) -> None:
    """Send every record to stderr, as text or as one JSON object per line."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_json:
        handler.setFormatter(JsonFormatter(_JSON_FIELDS, rename_fields={"levelname": "level"}))
    else:
        handler.setFormatter(logging.Formatter(_TEXT_FORMAT))
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    # Replace only our own handler: a host (pytest, Streamlit) may have attached its own.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(settings.log_level)
    # SQLAlchemy logs at INFO through its own switch (database_echo); keep it quiet otherwise.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    # httpx logs every request's full URL at INFO; a Slack webhook's URL is its credential.
    logging.getLogger("httpx").setLevel(logging.WARNING)
