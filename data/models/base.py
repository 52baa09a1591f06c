"""The declarative base: a stable constraint naming convention and the column type map."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase

from data.types import MoneyNumeric, PortableJSON, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Json = dict[str, Any]
# Recommendations a recompute still refreshes (data.repos.recommendations.LIVE_STATUSES).
LIVE_RECOMMENDATION = "status IN ('open', 'postponed')"


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention Alembic relies on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: MoneyNumeric, Json: PortableJSON}
