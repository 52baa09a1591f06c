"""FOCUS allowed values, matched case-insensitively; 1.0 value renames map to 1.2 spellings."""

from __future__ import annotations

from collections.abc import Mapping

from data.connectors.focus.iso4217 import ISO_4217_CODES
from data.connectors.focus.values import is_null_text

CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
CHARGE_CLASSES = ("Correction",)
CHARGE_FREQUENCIES = ("One-Time", "Recurring", "Usage-Based")
PRICING_CATEGORIES = ("Standard", "Dynamic", "Committed", "Other")
COMMITMENT_STATUSES = ("Used", "Unused")
SERVICE_CATEGORIES = (
    "AI and Machine Learning",
    "Analytics",
    "Business Applications",
    "Compute",
    "Databases",
    "Developer Tools",
    "Multicloud",
    "Identity",
    "Integration",
    "Internet of Things",
    "Management and Governance",
    "Media",
    "Migration",
    "Mobile",
    "Networking",
    "Security",
    "Storage",
    "Web",
    "Other",
)
PRICING_CATEGORY_RENAMES = {"on-demand": "Standard", "commitment-based": "Committed"}


class Enumeration:
    """Parses one enumerated column; remembers texts it had to re-case or rename."""

    def __init__(
        self, column: str, allowed: tuple[str, ...], renames: Mapping[str, str] | None = None
    ) -> None:
        self.column = column
        self.allowed = allowed
        self._by_key = {value.lower(): value for value in allowed} | dict(renames or {})
        self.recased: dict[str, str] = {}

    def __call__(self, text: str) -> str | None:
        """The allowed spelling, None for a null, ValueError for a value outside the set."""
        if is_null_text(text):
            return None
        stripped = text.strip()
        value = self._by_key.get(stripped.lower())
        if value is None:
            raise ValueError(stripped)
        if value != stripped:
            self.recased[stripped] = value
        return value


def parse_currency(text: str) -> str | None:
    """An ISO 4217 code (upper-cased); ValueError for anything else."""
    if is_null_text(text):
        return None
    code = text.strip().upper()
    if code not in ISO_4217_CODES:
        raise ValueError(text)
    return code
