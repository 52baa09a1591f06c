"""TIGHTROPE_<NAME>_FILE: a setting's value read from a file (Docker and Kubernetes secrets)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource, SettingsError

FILE_SUFFIX = "_FILE"


class SecretFilesSource(PydanticBaseSettingsSource):
    """For each field NAME, TIGHTROPE_<NAME>_FILE names a file whose content is the value; it
    wins over TIGHTROPE_<NAME> (the image sets defaults such as the SQLite URL in the
    environment, and a deployment's mounted secret must override them).

    Errors name the variable and the path, never the content: a secret must not reach a log.
    One trailing newline is dropped (`echo secret > file` writes one).
    """

    def __init__(self, settings_cls: type[Any], prefix: str = "TIGHTROPE_") -> None:
        super().__init__(settings_cls)
        self._prefix = prefix

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        variable = f"{self._prefix}{field_name}{FILE_SUFFIX}".upper()
        path = _environ_upper().get(variable)
        if path is None:
            return None, field_name, False
        return _read_secret(variable, Path(path)), field_name, self.field_is_complex(field)

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field_name, field in self.settings_cls.model_fields.items():
            value, key, complex_value = self.get_field_value(field, field_name)
            if value is None:
                continue
            values[key] = (
                self.decode_complex_value(field_name, field, value) if complex_value else value
            )
        return values


def _environ_upper() -> dict[str, str]:
    # pydantic-settings matches TIGHTROPE_* case-insensitively; so does this source.
    return {name.upper(): value for name, value in os.environ.items()}


def _read_secret(variable: str, path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{variable} names {path}, which does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = type(error).__name__
        raise SettingsError(f"{variable} names {path}, which cannot be read ({reason})") from None
    return text.removesuffix("\n").removesuffix("\r")
