"""No raw HTML reaches the browser unless its call says why it is safe (threats.md #8).

Streamlit renders `unsafe_allow_html=True` markdown and `st.html` as HTML: a stored service name
or CSV cell in one is stored XSS. Every such call must carry a `# safe:` comment (on one of its
lines or the line above) saying where its HTML comes from: constants, or escaped values only.
"""

from __future__ import annotations

import ast

from tests.test_house_limits import REPO_ROOT, production_modules

MARK = "# safe:"


def raw_html_calls(source: str) -> list[int]:
    """First line of each call that renders raw HTML: `unsafe_allow_html=True`, or `.html(`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        unsafe = any(
            k.arg == "unsafe_allow_html"
            and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        )
        named_html = isinstance(node.func, ast.Attribute) and node.func.attr == "html"
        if unsafe or named_html:
            found.append(node)
    return [n.lineno for n in found if not _justified(source, n)]


def _justified(source: str, node: ast.Call) -> bool:
    lines = source.splitlines()
    first = max(node.lineno - 2, 0)  # the line above the call, then the call's own lines
    return any(MARK in line for line in lines[first : node.end_lineno or node.lineno])


def test_every_raw_html_call_says_why_it_is_safe() -> None:
    unjustified = [
        f"{path.relative_to(REPO_ROOT)}:{line}"
        for path in production_modules()
        for line in raw_html_calls(path.read_text())
    ]

    assert unjustified == [], f"raw HTML without a '{MARK}' comment: {unjustified}"


def test_the_scan_finds_both_forms_and_accepts_a_justified_one() -> None:
    source = (
        "st.markdown(x, unsafe_allow_html=True)\n"
        "st.html(y)\n"
        "st.markdown(z, unsafe_allow_html=False)\n"
        "# safe: constants only\n"
        "st.markdown(CONSTANT, unsafe_allow_html=True)\n"
        "st.markdown(\n    w,  # safe: numbers only\n    unsafe_allow_html=True,\n)\n"
    )

    assert raw_html_calls(source) == [1, 2]
