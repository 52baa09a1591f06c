"""/healthz (the process answers) and /readyz (the database answers too)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.auth import Deps
from api.problems import Problem
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", responses={503: {"description": "The database does not answer."}})
def readyz(deps: Deps) -> Health:
    try:
        with deps.sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        raise Problem(503, "not-ready", "the database does not answer") from error
    return Health(status="ok")
