"""The recommendation state machine: which decision may start from which status.

    open ──apply──▶ applied ──rollback──▶ rolled_back
     │ ▲
     │ └─(any decision, any time)── postponed
     ├──reject──▶ rejected
     ├──postpone──▶ postponed
     └──(recompute)──▶ superseded | expired

A postponed recommendation takes the same decisions as an open one: its date only hides it
from the queue until it is due, it does not lock a reviewer out.
"""

from __future__ import annotations

from typing import Literal

from data.errors import InvalidTransition

OPEN = "open"
POSTPONED = "postponed"
APPLIED = "applied"
REJECTED = "rejected"
ROLLED_BACK = "rolled_back"

Decision = Literal["apply", "reject", "postpone"]
DECIDABLE = (OPEN, POSTPONED)
TARGET: dict[Decision, str] = {"apply": APPLIED, "reject": REJECTED, "postpone": POSTPONED}


def check_decision(recommendation_id: int, status: str, decision: Decision) -> str:
    """The status `decision` leads to; InvalidTransition unless `status` is open or postponed."""
    if status not in DECIDABLE:
        raise InvalidTransition(
            f"recommendation {recommendation_id} is {status}: only open or postponed "
            f"recommendations can be {TARGET[decision]}"
        )
    return TARGET[decision]


def check_rollback(change_id: int, status: str) -> None:
    if status != APPLIED:
        raise InvalidTransition(
            f"change {change_id} is {status}: only an applied change can be rolled back"
        )
