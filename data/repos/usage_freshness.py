"""How fresh each service's stored usage is: the newest hour per service, in one query."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import UsageHourlyRow


def latest_usage_hours(session: Session) -> dict[int, datetime]:
    """service id → its newest stored usage hour (aware UTC); services without usage absent."""
    query = select(UsageHourlyRow.service_id, func.max(UsageHourlyRow.hour_start)).group_by(
        UsageHourlyRow.service_id
    )
    return {service_id: _aware(value) for service_id, value in session.execute(query)}


def _aware(value: datetime | str) -> datetime:
    # max() bypasses the column type on SQLite and comes back as text.
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
