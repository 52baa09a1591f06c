"""A JSON schema of the Compose file subset Tightrope uses (keys and types Compose accepts).

Written here rather than vendored: it is strict where the full spec is lenient (no unknown key
anywhere), so a misspelt `depend_on` or `healthcheck.tset` fails the test instead of being
ignored by a daemon that would run the stack without it."""

from __future__ import annotations

from typing import Any

_STRINGS = {"type": "array", "items": {"type": "string"}}
_COMMAND = {"type": "array", "items": {"type": "string"}, "minItems": 1}
_ENVIRONMENT = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean"]},
}
_HEALTHCHECK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["test"],
    "properties": {
        "test": _COMMAND,
        "interval": {"type": "string", "pattern": r"^\d+(ms|s|m|h)$"},
        "timeout": {"type": "string", "pattern": r"^\d+(ms|s|m|h)$"},
        "start_period": {"type": "string", "pattern": r"^\d+(ms|s|m|h)$"},
        "retries": {"type": "integer", "minimum": 1},
    },
}
_DEPENDS_ON = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "required": ["condition"],
        "properties": {
            "condition": {
                "enum": [
                    "service_started",
                    "service_healthy",
                    "service_completed_successfully",
                ]
            }
        },
    },
}
_SERVICE = {
    "type": "object",
    "additionalProperties": False,
    "anyOf": [{"required": ["image"]}, {"required": ["build"]}],
    "properties": {
        "image": {"type": "string"},
        "build": {"type": "string"},
        "command": _COMMAND,
        "environment": _ENVIRONMENT,
        "secrets": _STRINGS,
        "volumes": _STRINGS,
        "ports": {"type": "array", "items": {"type": "string", "pattern": r"^[\d.:]+$"}},
        "network_mode": {
            "type": "string",
            "pattern": r"^(host|none|bridge|service:[a-z][a-z0-9-]*)$",
        },
        "expose": _STRINGS,
        "healthcheck": _HEALTHCHECK,
        "depends_on": _DEPENDS_ON,
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
        "profiles": _STRINGS,
        "read_only": {"type": "boolean"},
        "cap_drop": _STRINGS,
        "security_opt": _STRINGS,
        "tmpfs": _STRINGS,
    },
}
COMPOSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "patternProperties": {"^x-": {}},
    "required": ["services"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "services": {"type": "object", "additionalProperties": _SERVICE},
        "secrets": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["file"],
                "properties": {"file": {"type": "string"}},
            },
        },
        "volumes": {"type": "object", "additionalProperties": {"type": ["object", "null"]}},
    },
}
