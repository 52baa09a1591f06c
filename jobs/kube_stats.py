"""The sidecar's per-workload statistics job: hourly usage, then container sizing."""

from __future__ import annotations

from data.connectors.kube.runs import StatsConfig
from data.connectors.kube.sizing import collect_sizing
from data.connectors.kube.workload_usage import collect_workload_usage
from data.errors import TelemetryError
from jobs.context import JobContext
from jobs.runs import Window


def collect_workload_stats(ctx: JobContext, _window: Window) -> int:
    """Hourly usage of the discovered workloads (new whole hours) and their containers'
    sizing statistics (data.connectors.kube); rows = usage rows + sizing rows. A shard that
    failed fails the run with "partial: N of M" (its services keep what they had), never
    "success". Without a Prometheus, nothing to do."""
    if ctx.prometheus is None:
        return 0
    config = StatsConfig.from_settings(ctx.settings)
    now = ctx.clock()
    usage = collect_workload_usage(ctx.sessions, ctx.prometheus, now=now, config=config)
    sizing = collect_sizing(ctx.sessions, ctx.prometheus, now=now, config=config)
    partial = [
        f"{name} {r.status}"
        for name, r in (("usage", usage), ("sizing", sizing))
        if r.status != "success"
    ]
    if partial:
        raise TelemetryError("; ".join(partial))
    return usage.rows_written + sizing.rows_written
