"""PromQL selectors built by us: allowlisted label names, escaped values, bounded regexes.

prometheus-api-client's `label_config` pastes values unescaped (threats.md 12), so nothing here
goes through it. A value becomes a PromQL double-quoted string via `json.dumps(...,
ensure_ascii=False)`: JSON's escapes (`\\"`, `\\\\`, `\\n`, `\\uXXXX`) are a subset of PromQL's, and
non-ASCII stays literal (an escaped astral character would be a surrogate pair PromQL rejects).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from data.errors import InvalidSelector

# Label names a service mapping may use; anything else is a catalog error, not a query.
ALLOWED_LABELS = frozenset(
    {
        "cluster",
        "namespace",
        "container",
        "pod",
        "job",
        "instance",
        "service",
        "route",
        "handler",
        "method",
        "code",
        "status",
        "status_code",
        "resource",
        "reason",
        "mode",
        "le",
    }
)
MAX_VALUE_CHARS = 1024
MAX_ALTERNATIVES = 200
MAX_REGEX_CHARS = 16_384
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# RE2 metacharacters; every other character is literal in Go's regexp syntax.
_REGEX_META = frozenset("\\.+*?()|[]{}^$")

Op = Literal["=", "!=", "=~", "!~"]


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label matcher; `value` is the raw text (for `=~` already a regex)."""

    name: str
    op: Op
    value: str

    def render(self) -> str:
        return f"{check_label_name(self.name)}{self.op}{quote(self.value)}"


def check_label_name(name: str) -> str:
    if name not in ALLOWED_LABELS or not _LABEL_NAME.fullmatch(name):
        raise InvalidSelector(f"label {name!r} is not an allowed selector label")
    return name


def check_value(value: str) -> str:
    """Reject what no real label holds and what cannot travel as UTF-8 (NUL, lone surrogates)."""
    if not isinstance(value, str):
        raise InvalidSelector(f"label value must be text, got {type(value).__name__}")
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidSelector(f"label value longer than {MAX_VALUE_CHARS} characters")
    if "\x00" in value:
        raise InvalidSelector("label value contains NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidSelector("label value is not valid Unicode text") from error
    return value


def quote(value: str) -> str:
    """A PromQL string literal whose parsed value is exactly `value`.

    U+FFFD is escaped: Prometheus' lexer reads that character, even correctly encoded, as
    Go's utf8.RuneError and refuses the query as an "invalid UTF-8 rune"."""
    literal = json.dumps(check_value(value), ensure_ascii=False)
    return literal.replace("\ufffd", "\\ufffd")


def eq(name: str, value: str) -> Matcher:
    return Matcher(name, "=", check_value(value))


def one_of(name: str, values: Iterable[str]) -> Matcher:
    """`name` equals one of `values`: `=` for one value, else an escaped, capped alternation."""
    distinct = sorted({check_value(v) for v in values})
    if not distinct:
        raise InvalidSelector(f"no values for label {name!r}")
    if len(distinct) == 1:
        return Matcher(name, "=", distinct[0])
    if len(distinct) > MAX_ALTERNATIVES:
        raise InvalidSelector(f"{len(distinct)} values for {name!r}; at most {MAX_ALTERNATIVES}")
    regex = "|".join(regex_literal(v) for v in distinct)
    if len(regex) > MAX_REGEX_CHARS:
        raise InvalidSelector(f"alternation for {name!r} longer than {MAX_REGEX_CHARS} characters")
    return Matcher(name, "=~", regex)


def regex_literal(value: str) -> str:
    """`value` as an RE2 pattern matching only itself (Prometheus anchors the whole regex)."""
    return "".join("\\" + ch if ch in _REGEX_META else ch for ch in check_value(value))


def selector(metric: str, matchers: Sequence[Matcher]) -> str:
    """`metric{m1,m2,...}` from a fixed metric name and built matchers."""
    if not _METRIC_NAME.fullmatch(metric):
        raise InvalidSelector(f"{metric!r} is not a metric name")
    return metric + "{" + ",".join(m.render() for m in matchers) + "}"


def by_clause(labels: Sequence[str]) -> str:
    return "(" + ",".join(check_label_name(label) for label in labels) + ")"
