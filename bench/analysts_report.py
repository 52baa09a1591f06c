"""bench_analysts.py's figures: per N, browser and server settles, CPU, memory, ratios to N=1."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from bench.analysts_protocol import LoggedRun
from dashboard.run_timing import ScriptRun


@dataclass
class Phase:
    """One N: browser settle seconds per page kind, the server's logged runs, memory and CPU."""

    sessions: int
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    runs: list[ScriptRun] = field(default_factory=list)
    rss_kib: int = 0
    hwm_kib: int = 0
    workers_rss_kib: int = 0
    cpu_s: float = 0.0  # the server process and its pool workers
    server_own_cpu_s: float = 0.0  # the server process alone (script threads, event loop)
    browser_cpu_s: float = 0.0  # the clients (Chromium and Playwright, or protocol sessions)
    wall_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    run_offsets: list[int] = field(default_factory=list)  # each run's line's place in the log
    logged: list[LoggedRun] = field(default_factory=list)  # the runs protocol clients asked for

    def all_seconds(self) -> list[float]:
        return [s for kind in self.seconds.values() for s in kind]

    def finished_runs(self) -> list[ScriptRun]:
        return [run for run in self.runs if run.finished]


def p(seconds: list[float], q: int) -> float:
    """The q-th percentile (inclusive method); the value itself for one sample."""
    if len(seconds) < 2:
        return seconds[0] if seconds else float("nan")
    return statistics.quantiles(seconds, n=100, method="inclusive")[q - 1]


def tagged_runs(phase: Phase) -> tuple[list[ScriptRun], list[ScriptRun], int]:
    """The logged runs the clients timed, the untimed ones (each session's opening), and how
    many lines either could be. Each full run a client asked for owns one line of its page,
    written between the log's size when it asked and when the run finished; lines go to the
    asked runs earliest end first (a valid assignment whenever one exists)."""
    lines = list(zip(phase.run_offsets, phase.runs, strict=True))
    timed_of: dict[int, bool] = {}
    for asked in sorted(phase.logged, key=lambda run: run.log_to):
        for i, (at, run) in enumerate(lines):
            if i not in timed_of and run.page == asked.page and asked.log_from <= at < asked.log_to:
                timed_of[i] = asked.timed
                break
    either = sum(
        len({a.timed for a in phase.logged if a.page == run.page and a.log_from <= at < a.log_to})
        > 1
        for at, run in lines
    )
    timed = [run for i, (_, run) in enumerate(lines) if timed_of.get(i) is True]
    untimed = [run for i, (_, run) in enumerate(lines) if timed_of.get(i) is False]
    return timed, untimed, either


def report(phases: list[Phase], *, think_s: float, client: str, placement: str) -> None:
    """Print the definitions, then each N's browser and server figures and their ratios."""
    print(f"placement: {placement}")
    print(
        f"definitions: settle = action → page drawn and idle in the client, {client} "
        "(protocol: rerun request → the run's script_finished received, after all its deltas; "
        f"nothing drawn); think time {think_s:g} s × U(0.5, 1.5) before each action, seeded per "
        "session, the same in every N; server settle = one script run start → finish, from "
        "the server's log (dashboard/run_timing.py); ratios are to the first N of this run."
    )
    base = phases[0]
    base_browser = p(base.all_seconds(), 95)
    base_server = p([r.wall_s for r in base.finished_runs()], 95)
    base_timed = p([r.wall_s for r in tagged_runs(base)[0] if r.finished], 95)
    for phase in phases:
        _browser_lines(phase, base_browser, base.sessions)
        _server_lines(phase, base_server, base.sessions)
        if phase.logged:
            _tagged_lines(phase, base_timed, base.sessions)
    last = phases[-1]
    if last.sessions > base.sessions:
        extra = (last.rss_kib - base.rss_kib) / (last.sessions - base.sessions) / 1024
        print(f"memory per extra session: {extra:.1f} MiB (server VmRSS, target ≤ 10 MiB)")


def _browser_lines(phase: Phase, base_p95: float, base_n: int) -> None:
    n = phase.sessions
    for kind, seconds in sorted(phase.seconds.items()):
        print(
            f"N={n:>2} client  {kind:<15} p50 {p(seconds, 50):6.2f} s  "
            f"p95 {p(seconds, 95):6.2f} s  ({len(seconds)} settles)"
        )
    p95 = p(phase.all_seconds(), 95)
    print(
        f"N={n:>2} client  all pages      p50 {p(phase.all_seconds(), 50):6.2f} s  "
        f"p95 {p95:6.2f} s  = {p95 / base_p95:.2f}× N={base_n}'s p95; "
        f"wall {phase.wall_s:.1f} s, CPU server+pool {phase.cpu_s:.1f} s, "
        f"client {phase.browser_cpu_s:.1f} s, "
        f"load {phase.load[0]:.1f}→{phase.load[1]:.1f}; server VmRSS "
        f"{phase.rss_kib / 1024:.0f} MiB (VmHWM {phase.hwm_kib / 1024:.0f} MiB), "
        f"pool workers {phase.workers_rss_kib / 1024:.0f} MiB"
    )
    settles = max(len(phase.all_seconds()), 1)
    print(
        f"N={n:>2} CPU per client settle: server process {phase.server_own_cpu_s / settles:.2f}"
        f" s + pool workers {(phase.cpu_s - phase.server_own_cpu_s) / settles:.2f} s, "
        f"client {phase.browser_cpu_s / settles:.2f} s"
    )


def _server_lines(phase: Phase, base_p95: float, base_n: int) -> None:
    n, finished = phase.sessions, phase.finished_runs()
    by_page: dict[str, list[ScriptRun]] = defaultdict(list)
    for run in finished:
        by_page[run.page].append(run)
    for page, runs in sorted(by_page.items()):
        walls = [r.wall_s for r in runs]
        print(
            f"N={n:>2} server  {page:<15} p50 {p(walls, 50):6.2f} s  p95 {p(walls, 95):6.2f} s  "
            f"script CPU p50 {p([r.cpu_s for r in runs], 50):5.2f} s  ({len(runs)} runs)"
        )
    walls = [r.wall_s for r in finished]
    cpu_s = sum(r.cpu_s for r in finished)
    print(
        f"N={n:>2} server  all runs       p50 {p(walls, 50):6.2f} s  p95 {p(walls, 95):6.2f} s"
        f"  = {p(walls, 95) / base_p95:.2f}× N={base_n}'s p95; {len(finished)} runs finished, "
        f"{len(phase.runs) - len(finished)} interrupted; script-thread CPU "
        f"{cpu_s / max(len(finished), 1):.2f} s a run"
    )


def _tagged_lines(phase: Phase, base_p95: float, base_n: int) -> None:
    timed, untimed, either = tagged_runs(phase)
    walls = [r.wall_s for r in timed if r.finished]
    opening = [r.wall_s for r in untimed if r.finished]
    print(
        f"N={phase.sessions:>2} server  timed runs     p50 {p(walls, 50):6.2f} s  "
        f"p95 {p(walls, 95):6.2f} s  = {p(walls, 95) / base_p95:.2f}× N={base_n}'s; opening "
        f"runs p50 {p(opening, 50):.2f} s p95 {p(opening, 95):.2f} s; {len(timed)} timed, "
        f"{len(untimed)} opening, {len(phase.runs) - len(timed) - len(untimed)} unmatched of "
        f"{len(phase.runs)} lines, {either} could be either; {len(phase.logged)} runs asked"
    )
