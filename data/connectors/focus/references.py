"""Allocation references resolved against the service catalog: a name no service answers to is
unallocated, in the validation report as in what ingest stores."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.connectors.focus.findings import Finding
from data.connectors.focus.report import ValidationReport
from data.connectors.focus.totals import currency_totals
from data.models import ServiceRow
from data.repos.costs import AllocatedCostColumns


def service_references(session: Session) -> dict[str, int]:
    """Lower-cased slug, and the value of each service's own allocation rule → service id."""
    refs: dict[str, int] = {}
    for service_id, slug, rule in session.execute(
        select(ServiceRow.id, ServiceRow.slug, ServiceRow.allocation_rule)
    ):
        refs[slug.lower()] = service_id
        value = (rule or {}).get("value")
        if isinstance(value, str) and value.strip():
            refs.setdefault(value.strip().lower(), service_id)
    return refs


def resolved(
    report: ValidationReport, costs: AllocatedCostColumns, refs: Mapping[str, int]
) -> ValidationReport:
    """The report as ingest will store it: totals count rows naming an unknown service as
    unallocated, and a warning names those services. The upload page and `--dry-run` show
    this, so the report before ingest agrees with the delivery recorded after it."""
    return replace(
        report,
        totals=currency_totals(costs, known=refs),
        warnings=report.warnings + unknown_references(costs, refs),
    )


def unknown_references(costs: AllocatedCostColumns, refs: Mapping[str, int]) -> tuple[Finding, ...]:
    """One warning naming the allocation references no service answers to (rows counted)."""
    unknown: Counter[str] = Counter()
    # Lower-cased once per distinct reference, not per daily row.
    answered = {ref for ref in set(costs.service_ref) if ref is not None and ref.lower() in refs}
    for ref, rows in zip(costs.service_ref, costs.source_rows, strict=True):
        if ref is not None and ref not in answered:
            unknown[ref] += rows
    if not unknown:
        return ()
    shown = ", ".join(repr(ref) for ref, _ in unknown.most_common(10))
    message = f"allocation names no known service: {shown} (those rows are unallocated)"
    finding = Finding("warning", "unknown_service", message, "Tags", sum(unknown.values()))
    return (finding,)
