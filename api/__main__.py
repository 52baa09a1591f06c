"""`python -m api` serves the REST API; `openapi` prints its schema; `keys` manages API keys."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data.api_key_actions import ApiKeyDesk
    from data.settings import Settings

# Each command imports what it runs when it runs: `--help` and `keys` skip the web stack.


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from data.logs import configure_logging
    from data.settings import Settings

    settings = Settings()
    configure_logging(settings)
    if args.command == "openapi":
        return _openapi(settings)
    if args.command == "keys":
        return _keys(settings, args)
    return _serve(settings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve on TIGHTROPE_API_HOST:TIGHTROPE_API_PORT (default)")
    commands.add_parser("openapi", help="print the OpenAPI schema (docs/openapi.json)")
    keys = commands.add_parser("keys", help="create, revoke or list API keys (as local_actor)")
    verbs = keys.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create", help="create a key; its secret is printed once")
    create.add_argument("name")
    create.add_argument("--role", required=True, choices=["viewer", "analyst", "approver", "admin"])
    revoke = verbs.add_parser("revoke", help="revoke a key by name")
    revoke.add_argument("name")
    verbs.add_parser("list", help="list keys (never their secrets)")
    return parser


def _serve(settings: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from data.db import make_engine, make_sessions

    engine = make_engine(settings)
    try:
        app = create_app(settings, make_sessions(engine))
        uvicorn.run(app, host=settings.api_host, port=settings.api_port, log_config=None)
    finally:
        engine.dispose()
    return 0


def _openapi(settings: Settings) -> int:
    """The schema needs no database: the app is built over a session factory never used."""
    from api.app import create_app
    from data.db import make_engine, make_sessions

    engine = make_engine(settings)
    try:
        schema = create_app(settings, make_sessions(engine)).openapi()
    finally:
        engine.dispose()
    sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    return 0


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    """As the configured local actor (admin unless TIGHTROPE_ROLES says otherwise), audited."""
    from data.api_key_actions import ApiKeyDesk
    from data.db import make_engine, make_sessions
    from data.errors import DataError
    from data.workflow import WorkflowPolicy

    engine = make_engine(settings)
    desk = ApiKeyDesk(make_sessions(engine), WorkflowPolicy.from_settings(settings))
    actor, now = settings.local_actor, settings.clock().now()
    try:
        if args.verb == "create":
            issued = desk.create(actor, name=args.name, role=args.role, now=now)
            sys.stdout.write(f"{issued.secret}\n")
            sys.stderr.write(f"created {issued.key.name} ({issued.key.role}): shown once\n")
        elif args.verb == "revoke":
            desk.revoke(actor, name=args.name, now=now)
            sys.stderr.write(f"revoked {args.name}\n")
        else:
            _print_keys(desk)
    except DataError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    finally:
        engine.dispose()
    return 0


def _print_keys(desk: ApiKeyDesk) -> None:
    for key in desk.list():
        state = "revoked" if key.revoked_at else "active"
        used = key.last_used_at.isoformat() if key.last_used_at else "never"
        sys.stdout.write(f"{key.name}\t{key.prefix}…\t{key.role}\t{state}\tlast used {used}\n")


if __name__ == "__main__":
    raise SystemExit(main())
