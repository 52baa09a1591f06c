"""The documented page payload (docs/billing_api.md), validated at the edge into a `Page`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from data.errors import MalformedPage

# Money may arrive as JSON numbers: parsed as Decimal, never float, so no digit is lost.
ItemValue = str | Decimal | int | bool | dict[str, Any] | list[Any] | None
Row = dict[str, str | None]
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
MAX_ITEMS_PER_PAGE = 100_000


class PagePayload(BaseModel):
    """One page as the API sends it; unknown top-level fields are ignored (forward compatible)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    billing_period: str = Field(pattern=PERIOD_PATTERN, description="`YYYY-MM`, as requested.")
    focus_version: str | None = Field(default=None, max_length=20)
    items: list[dict[str, ItemValue]] = Field(max_length=MAX_ITEMS_PER_PAGE)
    next_page_token: str | None = Field(default=None, min_length=1, max_length=4096)


@dataclass(frozen=True, slots=True)
class Page:
    """A validated page: FOCUS rows as text (null as None), the cursor, and a content digest."""

    billing_period: str
    rows: tuple[Row, ...]
    next_page_token: str | None
    focus_version: str | None
    items_sha256: str


def parse_page(body: bytes) -> Page:
    """Validate a page body; a body that breaks the contract raises `MalformedPage`."""
    try:
        payload = PagePayload.model_validate(json.loads(body, parse_float=Decimal))
    except (ValueError, ValidationError) as error:
        raise MalformedPage(f"the page breaks the contract: {_reason(error)}") from None
    rows = tuple({str(k): _text(v) for k, v in item.items()} for item in payload.items)
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
    return Page(
        payload.billing_period, rows, payload.next_page_token, payload.focus_version, digest
    )


def _text(value: ItemValue) -> str | None:
    """One cell as the FOCUS reader expects text: `1.50`, `true`, `{"team": "pay"}`, None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")  # never exponent notation (1E+2)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _reason(error: Exception) -> str:
    """The first problem without the offending input (a page may hold anything)."""
    if isinstance(error, ValidationError):
        first = error.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"][:3])
        return f"{where}: {first['msg']}"
    return "the body is not JSON"
