"""What a workflow action returns to the page that asked for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one decision: the recommendation's new status and version, and a toast."""

    recommendation_id: int | None
    change_id: int | None
    status: str
    version: int | None
    message: str
    handoff: str = ""  # where the change went: "recorded and handed off (…)" / "recorded only …"
