"""Find every database write in dashboard or API code that does not go through a guarded service.

Two kinds of finding (decision 013):
- a direct write: a session's `.begin()`, `.add()`, `.add_all()`, `.delete()`, `.merge()`,
  `.commit()`, `.flush()`, or `.execute()` of an insert / update / delete (or DML text);
- a reference to a function or class of `data` that writes (found by the same rules in data/,
  then everything that calls one of those, to a fixed point) outside the guarded services.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The service entrypoints the dashboard may call to change state: each checks the role and
# writes its audit event in the change's transaction (data/guard.py).
GUARDED_SERVICES: Mapping[str, frozenset[str]] = {
    "data.workflow": frozenset({"Workflow"}),
    "data.budget_actions": frozenset({"BudgetDesk"}),
    "data.scenario_actions": frozenset({"ScenarioDesk"}),
    "data.job_actions": frozenset({"JobDesk"}),
    "data.upload_actions": frozenset({"UploadDesk"}),
    "data.login_actions": frozenset({"LoginDesk"}),
    "data.webhook_actions": frozenset({"WebhookDesk"}),
    "data.api_key_actions": frozenset({"ApiKeyDesk"}),
    # The hand-off step after an apply commits: its writes go through the guard (decision 023).
    "data.handoff.runner": frozenset({"HandoffRunner"}),
}
SESSION_WRITES = frozenset({"begin", "add", "add_all", "delete", "merge", "commit", "flush"})
DML = frozenset({"insert", "update", "delete"})
SESSION_TYPES = frozenset({"Session", "sessionmaker", "Sessions", "Connection", "Engine"})


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    path: str
    line: int
    what: str


def scan(sources: Mapping[str, str], writers: Mapping[str, str]) -> list[Finding]:
    """Findings in `sources` (path → code); `writers` maps a data name to the module defining it."""
    found: list[Finding] = []
    for path, code in sorted(sources.items()):
        tree = ast.parse(code, filename=path)
        found += _direct_writes(path, tree)
        found += _writer_references(path, tree, writers)
    return sorted(found)


def dashboard_sources() -> dict[str, str]:
    return _sources(ROOT / "dashboard")


def api_sources() -> dict[str, str]:
    """The REST API (api/): the same rule as the pages, the same guarded services."""
    return _sources(ROOT / "api")


def data_writers() -> dict[str, str]:
    """Name → module of every module-level function or class in data/ that writes: directly,
    or by calling one that does (calls resolved through the module's own imports)."""
    units = _units(_sources(ROOT / "data"))
    writing = {
        key
        for key, (node, _) in units.items()
        if any(_direct_writes("", node)) or _mutates_rows(node)
    }
    while True:
        more = {key for key, unit in units.items() if key not in writing and unit[1] & writing}
        if not more:
            return {name: module for module, name in writing}
        writing |= more


Unit = tuple[ast.AST, set[tuple[str, str]]]  # the definition, and what it calls (module, name)


def _units(sources: Mapping[str, str]) -> dict[tuple[str, str], Unit]:
    trees = {
        path.removesuffix(".py").removesuffix("/__init__").replace("/", "."): ast.parse(code)
        for path, code in sources.items()
    }
    imports = {module: _imports(module, tree) for module, tree in trees.items()}
    units: dict[tuple[str, str], Unit] = {}
    for module, tree in trees.items():
        local = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                calls = {
                    _resolve(target, imports)
                    for target in _call_targets(module, node, local, imports[module])
                }
                units[(module, node.name)] = (node, calls)
    return units


def _imports(module: str, tree: ast.Module) -> dict[str, str]:
    """Local name → what it names ("data.repos.budgets" or "data.repos.audit.record_event")."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name] = alias.name
    return found


def _call_targets(
    module: str, node: ast.AST, local: set[str], imported: Mapping[str, str]
) -> Iterator[str]:
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Name):
            if func.id in local:
                yield f"{module}.{func.id}"
            elif func.id in imported:
                yield imported[func.id]
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in imported
        ):
            yield f"{imported[func.value.id]}.{func.attr}"


def _resolve(qualified: str, imports: Mapping[str, Mapping[str, str]]) -> tuple[str, str]:
    """A dotted name → (defining module, name), following package re-exports."""
    module, _, name = qualified.rpartition(".")
    for _ in range(5):
        target = imports.get(module, {}).get(name)
        if target is None or target == f"{module}.{name}":
            break
        module, _, name = target.rpartition(".")
    return module, name


def _sources(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*.py"))
        if "migrations" not in path.parts
    }


def _direct_writes(path: str, tree: ast.AST) -> Iterator[Finding]:
    sessions = _session_names(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, _terminal(node.func.value)
        if receiver not in sessions:
            continue
        if method in SESSION_WRITES:
            yield Finding(path, node.lineno, f"{receiver}.{method}()")
        elif method == "execute" and node.args and _is_dml(node.args[0]):
            yield Finding(path, node.lineno, f"{receiver}.execute(<insert/update/delete>)")


def _mutates_rows(tree: ast.AST) -> bool:
    """A function given a session that sets an attribute of a row (`row.status = DONE`): the
    caller's commit writes it."""
    if not _session_names(tree):
        return False
    targets = [
        target
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
    ]
    flat = [t for target in targets for t in _unpacked(target) if isinstance(t, ast.Attribute)]
    return any(isinstance(t.value, ast.Name) and t.value.id not in ("self", "cls") for t in flat)


def _unpacked(target: ast.expr) -> Iterator[ast.expr]:
    """`a.x, b.y = ...` → a.x, b.y (a subscript's or call's inner attributes are not targets)."""
    if isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _unpacked(element)
    else:
        yield target


def _session_names(tree: ast.AST) -> set[str]:
    """Names that hold a session, a sessionmaker or a connection: by name, annotation, or what
    they were bound from (`x = deps.sessions()`, `with x.begin() as s`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.annotation is not None:
            if _mentions_session_type(node.annotation) or _sessionish(node.arg):
                names.add(node.arg)
        elif isinstance(node, ast.Name) and _sessionish(node.id):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and _sessionish(node.attr):
            names.add(node.attr)  # `deps.sessions.begin()`: the API's sessions live on its deps
        elif isinstance(node, ast.Assign) and _makes_session(node.value):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif (
            isinstance(node, ast.withitem)
            and isinstance(node.optional_vars, ast.Name)
            and _makes_session(node.context_expr)
        ):
            names.add(node.optional_vars.id)
    return names


def _makes_session(value: ast.expr) -> bool:
    if not isinstance(value, ast.Call):
        return False
    callee = _terminal(value.func)
    return _sessionish(callee) or callee in SESSION_TYPES or callee in ("begin", "connect")


def _sessionish(name: str) -> bool:
    return "session" in name.lower() and name != "session_state"


def _mentions_session_type(annotation: ast.expr) -> bool:
    return any(
        isinstance(n, ast.Name | ast.Attribute) and _terminal(n) in SESSION_TYPES
        for n in ast.walk(annotation)
    )


def _is_dml(argument: ast.expr) -> bool:
    if isinstance(argument, ast.Call):
        callee = _terminal(argument.func)
        if callee in DML:
            return True
        if callee == "text" and argument.args and isinstance(argument.args[0], ast.Constant):
            words = str(argument.args[0].value).split()
            return bool(words) and words[0].lower() in DML
        # insert(...).values(...): the chain's first call decides
        return isinstance(argument.func, ast.Attribute) and _is_dml(argument.func.value)
    return False


def _writer_references(path: str, tree: ast.AST, writers: Mapping[str, str]) -> Iterator[Finding]:
    modules: dict[str, str] = {}  # local alias → data module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _is_data(node.module):
            for alias in node.names:
                qualified = f"{node.module}.{alias.name}"
                if _is_module(qualified, writers):
                    modules[alias.asname or alias.name] = qualified
                elif _forbidden(node.module, alias.name, writers):
                    yield Finding(path, node.lineno, f"imports {qualified}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_data(alias.name):
                    modules[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = modules.get(node.value.id)
            if module is not None and _forbidden(module, node.attr, writers):
                yield Finding(path, node.lineno, f"uses {module}.{node.attr}")


def _forbidden(module: str, name: str, writers: Mapping[str, str]) -> bool:
    if name not in writers:
        return False
    homes = (module, writers[name])
    return not any(
        name in allowed and any(h == home or h.startswith(home + ".") for h in homes)
        for home, allowed in GUARDED_SERVICES.items()
    )


def _is_data(module: str) -> bool:
    return module == "data" or module.startswith("data.")


def _is_module(qualified: str, writers: Mapping[str, str]) -> bool:
    """`from data.repos import simulations` binds a module, not a function."""
    return any(m == qualified or m.startswith(qualified + ".") for m in writers.values()) or (
        (ROOT / (qualified.replace(".", "/") + ".py")).exists()
    )


def _terminal(node: ast.expr) -> str:
    """`a.b.c` → "c", `f()` → the callee's terminal, a name → itself."""
    while isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def names(findings: Iterable[Finding]) -> list[str]:
    return [f"{f.path}:{f.line}: {f.what}" for f in findings]
