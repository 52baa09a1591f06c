"""Exports: the recommendation backlog as json, yaml or csv, in Tightrope's or AWS COH's schema.

The bytes come from data.exports (the builder `python -m jobs export` calls too), so the API and
the CLI answer the same bytes for the same data.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.auth import Caller, Deps
from data.exports.recommendations import export_recommendations
from data.exports.vocabulary import MEDIA_TYPES, ExportFormat, ExportSchema, ExportStatus

router = APIRouter(prefix="/v1", tags=["exports"])
CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export as a download (Content-Disposition: attachment).",
        "content": {
            media.split(";")[0]: {"schema": {"type": "object" if fmt == "json" else "string"}}
            for fmt, media in MEDIA_TYPES.items()
        },
    }
}


@router.get("/exports/recommendations", response_class=Response, responses=CONTENT)
def export(
    deps: Deps,
    _who: Caller,
    fmt: Annotated[ExportFormat, Query(alias="format")] = "json",
    schema: Annotated[
        ExportSchema, Query(description="tightrope, or aws-coh: AWS Cost Optimization Hub's")
    ] = "tightrope",
    status: Annotated[
        list[ExportStatus] | None, Query(description="Repeat for several; default: every status")
    ] = None,
) -> Response:
    """Every recommendation (or those of `status`), best risk-adjusted savings first
    (docs/exports.md); the same bytes as `python -m jobs export recommendations`."""
    with deps.sessions() as session:
        built = export_recommendations(session, fmt=fmt, schema=schema, statuses=status or ())
    disposition = f'attachment; filename="{built.filename}"'
    return Response(
        built.content, media_type=built.media_type, headers={"Content-Disposition": disposition}
    )
