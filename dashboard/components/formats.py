"""Number formatting with units: money with its currency, percentages, cores, GiB, instants."""

from __future__ import annotations

import math
import re
from datetime import datetime

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# `:` and `@` too: Streamlit's markdown turns URLs and e-mails into links on its own, and
# takes the backslashes after an unescaped "http:" as part of the link's text; `&` so that
# "&lt;" in a name stays those four characters.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:@&])")
_AUTOLINK_STARTS = re.compile(r"(?i)(https?|ftp|www)(?=\\[:.])")


def symbol(currency: str) -> str | None:
    return _SYMBOLS.get(currency)


def money(amount: float, currency: str, *, decimals: int = 0) -> str:
    """`$1,234` (known symbol) or `1,234 CHF` (ISO code); never a bare number."""
    sign = "-" if amount < 0 else ""
    number = f"{abs(amount):,.{decimals}f}"
    prefix = symbol(currency)
    return f"{sign}{prefix}{number}" if prefix else f"{sign}{number} {currency}"


def money_compact(amount: float, currency: str) -> str:
    """`$48.2k`, `$1.25M`, `$940` — for KPI cards."""
    size = abs(amount)
    for limit, suffix, scale in ((1e6, "M", 1e6), (1e4, "k", 1e3)):
        if size >= limit:
            sign = "-" if amount < 0 else ""
            prefix = symbol(currency)
            number = f"{size / scale:.{2 if suffix == 'M' else 1}f}{suffix}"
            return f"{sign}{prefix}{number}" if prefix else f"{sign}{number} {currency}"
    return money(amount, currency)


def signed_pct(value: float) -> str:
    """`+6.1 %` / `-6.1 %` (one decimal, the sign drives the metric arrow)."""
    return f"{value:+.1f} %"


def pct(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f} %"


def cores(value: float | None) -> str:
    """CPU in cores, or millicores below one core."""
    if value is None or math.isnan(value):
        return "—"
    return f"{round(value * 1000)}m" if value < 1 else f"{value:,.2f} cores"


def gib(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value * 1024:,.0f} MiB" if value < 1 else f"{value:,.1f} GiB"


def money_axis(currency: str, per: str) -> str:
    """Axis title with the unit: `Effective cost (USD/day)`."""
    return f"Effective cost ({currency}/{per})"


def money_hover(currency: str, *, axis: str = "y", decimals: int = 0) -> str:
    """A plotly hovertemplate number with its currency: `$%{y:,.0f}` or `%{y:,.0f} CHF`."""
    number = f"%{{{axis}:,.{decimals}f}}"
    prefix = symbol(currency)
    return f"{prefix}{number}" if prefix else f"{number} {currency}"


def escape_markdown(text: str) -> str:
    """Data shown through st.markdown renders as text, never as markup or links.

    Streamlit's markdown (GFM) also turns any `http://`, `https://` or `www.` it finds in the
    text into a link, after escapes are resolved: an invisible word joiner (U+2060) after the
    scheme or `www` keeps a URL in a name from becoming a link to click.
    """
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text)
    return _AUTOLINK_STARTS.sub("\\1\u2060", escaped)


def when(value: object, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as text, "" when there is none. pandas' NaT (a missing time in a datetime
    column) is an instance of datetime too, and formatting it raises: it counts as none."""
    if not isinstance(value, datetime) or value != value:  # NaT is the one unequal to itself
        return ""
    return value.strftime(pattern)


def iso(value: object) -> str:
    """An instant in ISO 8601 (for exports), "" when there is none (None or NaT)."""
    return value.isoformat() if when(value) else ""  # type: ignore[attr-defined]
