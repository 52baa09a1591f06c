"""`create_app(settings, sessions)`: the FastAPI app, no globals (the entrypoint passes both)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from api import problems
from api.deps import ApiDeps
from api.routes import exports, health, reads, recommendations, simulations
from data.settings import Settings

VERSION = "1.0.0"


def create_app(settings: Settings, sessions: sessionmaker[Session]) -> FastAPI:
    deps = ApiDeps.build(settings, sessions)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        deps.simulator.shutdown()  # the what-if pool's workers end with the server

    app = FastAPI(
        lifespan=lifespan,
        title="Tightrope API",
        version=VERSION,
        description="Recommendations, costs, budgets and the decision workflow of Tightrope "
        "(docs/api.md). Authenticate with `Authorization: Bearer <API key>`.",
    )
    app.state.deps = deps
    problems.install(app)
    app.include_router(health.router)
    app.include_router(reads.router)
    app.include_router(recommendations.router)
    app.include_router(simulations.router)
    app.include_router(exports.router)
    return app
