"""Stored text (names, teams, owners, reasons, actors, budget scopes) renders as text on every
page: markdown, Streamlit directives and HTML in it never become images, links or markup.

Each text field holds a payload tagged with the field's name; every element that renders
markdown (bodies, labels, help, radio options) is rendered with a CommonMark parser and must
hold no image, link or emphasis made of a payload, and no unescaped Streamlit directive. Plotly
text renders a subset of HTML (<a href>, <b>), so chart specs must hold no payload tag either.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from sqlalchemy.orm import Session, sessionmaker
from streamlit.testing.v1 import AppTest

from dashboard.components import formats
from data.repos.savings_report import backlog
from tests.dashboard.conftest import open_page, sessions_on
from tests.dashboard.hostile_text import actor, make_hostile, payload

PAGES = (
    "overview", "services", "service_detail", "recommendations", "changes", "simulator",
    "budgets", "data_sources",
)  # fmt: skip
SHOWN: set[str] = set()  # the fields whose payload some page displayed
_MARKDOWN = MarkdownIt("commonmark").enable(["strikethrough", "table"])


@pytest.fixture(params=["admin", "viewer"])
def sessions(
    recommended_database: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[sessionmaker[Session]]:
    """The hostile actor uses the pages as an admin, and as a viewer: then every button says
    why that (hostile) name may not act."""
    monkeypatch.setenv("TIGHTROPE_LOCAL_ACTOR", actor())
    monkeypatch.setenv("TIGHTROPE_ROLES", json.dumps({actor(): request.param}))
    yield from sessions_on(recommended_database)


def test_stored_text_never_renders_as_markup_on_any_page(
    sessions: sessionmaker[Session],
) -> None:
    make_hostile(sessions)

    problems: list[str] = []
    for page in PAGES:
        at = open_page(f"app_pages/{page}.py")
        problems += [f"{page}: {p}" for p in _markup_problems(at)]
    for rec_id in _recommendations(sessions):  # each one's detail panel
        at = open_page("app_pages/recommendations.py", query={"rec": str(rec_id)})
        problems += [f"recommendation {rec_id}: {p}" for p in _markup_problems(at)]

    assert not problems, "\n".join(problems)
    # The payloads were on screen (escaped): the check looked at them, not at an empty page.
    assert {"namecheckout", "teamcheckout", "reject", "rollback"} <= SHOWN, SHOWN


def _recommendations(sessions: sessionmaker[Session]) -> list[int]:
    with sessions() as session:
        frame = backlog(session)
    return [int(i) for i in frame["recommendation_id"]]


def test_the_checker_catches_unescaped_text() -> None:
    """The check itself fails on raw payloads (a check that cannot fail proves nothing)."""
    raw = payload("probe")
    assert len(_body_problems("caption", raw)) >= 5
    assert _spec_problems(json.dumps({"data": [{"y": [raw]}], "layout": {"title": {"text": raw}}}))


def _markup_problems(at: AppTest) -> list[str]:
    problems: list[str] = []
    for node in _nodes(at):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = type(proto).__name__
        texts = list(_strings(json.loads(proto.spec))) if kind == "PlotlyChart" else []
        if kind == "PlotlyChart":
            problems += _spec_problems(proto.spec)
        else:
            texts = _markdown_fields(proto)
            problems += [p for text in texts for p in _body_problems(kind, text)]
        SHOWN.update(re.findall(r"evil\\?\.example/(?:raw-|a-)?([a-z]+)", " ".join(texts)))
    return problems


def _nodes(at: AppTest) -> Iterator[Any]:
    stack: list[Any] = [at._tree]
    while stack:
        node = stack.pop()
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())


def _markdown_fields(proto: Any) -> list[str]:
    """The proto's strings Streamlit renders as markdown."""
    texts = [
        getattr(proto, name)
        for name in ("body", "label", "help")
        if name in {f.name for f in proto.DESCRIPTOR.fields}
    ]
    if type(proto).__name__ == "Radio":
        texts += list(proto.options)
    return [text for text in texts if isinstance(text, str)]


_TAGGED = r"(?:img|link|bold|em|red|math|a|raw)-\w+"


def _body_problems(kind: str, text: str) -> list[str]:
    html = _MARKDOWN.render(text)
    found = [
        *re.findall(r'(?:src|href)="https://evil\.example[^"]*"', html),
        *re.findall(rf"<(?:strong|em)>{_TAGGED}", html),
        *re.findall(rf"(?<!\\):red\[{_TAGGED}", text),
        *re.findall(r"(?<!\\)\$math-\w+", text),
        *re.findall(r"<(?:img|a) ", html),
    ]
    return [f"{kind} renders {item!r} from {text[:80]!r}" for item in found]


def _spec_problems(spec: str) -> list[str]:
    """Plotly draws <a href>, <b> and <br> in titles, labels and hover text."""
    found = [
        tag
        for text in _strings(json.loads(spec))
        for tag in re.findall(r"<(?:a|img|b|i|span)\b[^>]*>", text)
        if "evil.example" in text or re.search(_TAGGED, text)
    ]
    return [f"plotly chart draws {item!r}" for item in found]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@example("R&amp;D <b>ops</b> http://a.example:80/x|y paul@example.com 1. * _x_ :red[y] $z$")
@example("www.evil.example HTTPS://EVIL.example")
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60))
def test_escaped_text_renders_as_itself(text: str) -> None:
    """Whatever a name holds, escaped it renders as exactly that text: no markup, no lost or
    extra characters (a URL keeps its dots, no backslash shows) but the invisible word joiner
    that keeps Streamlit from linking a URL (no `http://`, `https://` or `www.` left whole)."""
    assume("\u2060" not in text)
    rendered = html.unescape(_MARKDOWN.renderInline(formats.escape_markdown(text)))

    assert rendered.replace("\u2060", "") == text
    assert not re.search(r"(?i)https?://|www\.", rendered)
