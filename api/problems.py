"""Errors as RFC 9457 problem details: one handler maps the data layer's errors to statuses.

A body carries the error's message (the data layer writes them for people, as the pages show
them) and never a stack trace: anything unexpected is logged and answered with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from data import errors

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
# A URN, not a URL: nothing to dereference, and docs/api.md lists every one.
TYPE_BASE = "urn:tightrope:problem:"
# Most specific first: the first class an error is an instance of decides.
STATUS_OF: tuple[tuple[type[errors.DataError], int], ...] = (
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.RecommendationChanged, 412),
    (errors.Conflict, 409),
    (errors.InvalidInput, 422),
    (errors.BlastRadiusExceeded, 422),
    (errors.InvalidTransition, 409),
    (errors.Drifted, 409),
)


class Problem(Exception):
    """Raised by a route to answer with a problem: status, a slug for `type`, and detail."""

    def __init__(
        self, status: int, slug: str, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = dict(headers or {})


def problem_response(
    request: Request, status: int, slug: str, detail: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + slug,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def status_of(error: errors.DataError) -> int:
    for kind, status in STATUS_OF:
        if isinstance(error, kind):
            return status
    return 400


def install(app: FastAPI) -> None:
    """Register the handlers: Problem, DataError, HTTP errors, validation, anything else."""

    async def on_problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, Problem)
        return problem_response(request, error.status, error.slug, error.detail, error.headers)

    async def on_data_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, errors.DataError)
        slug = _slug(type(error).__name__)
        return problem_response(request, status_of(error), slug, str(error))

    async def on_http(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        slug = _slug(HTTPStatus(error.status_code).phrase.replace(" ", ""))
        return problem_response(request, error.status_code, slug, str(error.detail), error.headers)

    async def on_invalid(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        detail = "; ".join(_where(e) for e in error.errors()) or "the request is not valid"
        return problem_response(request, 422, "invalid-request", detail)

    async def on_crash(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "internal", "the server failed; see its log")

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(errors.DataError, on_data_error)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_crash)


def _where(error: Mapping[str, Any]) -> str:
    """`query.limit: Input should be less than or equal to 200` (never the input itself)."""
    place = ".".join(str(part) for part in error.get("loc", ()))
    return f"{place}: {error.get('msg', 'invalid')}"


def _slug(name: str) -> str:
    """`RecommendationChanged` -> `recommendation-changed`."""
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
