"""`python -m dashboard [streamlit flags]`: check the settings, feed login to Streamlit, serve.

Streamlit reads its `[auth]` section (st.login) from secrets.toml files only; this launcher
writes one from TIGHTROPE_* settings into a private temporary directory, points Streamlit at
it (`--secrets.files`) and removes it when the server stops. It refuses to serve without
login on a non-loopback address unless TIGHTROPE_AUTH=none says so explicitly.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from data.settings import Settings

APP = Path(__file__).resolve().parent / "streamlit_app.py"
EXIT_REFUSED = 2


def main(argv: Sequence[str]) -> int:
    """Validate, then run `streamlit run` in this process with `argv` passed through."""
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"tightrope: invalid settings:\n{error}", file=sys.stderr)
        return EXIT_REFUSED
    from dashboard import auth  # after the settings: importing it loads Streamlit

    address, trusted_headers = _server_options(argv)
    refusal = auth.exposure_refusal(settings, address, trusted_headers=trusted_headers)
    if refusal is not None:
        print(f"tightrope: {refusal}", file=sys.stderr)
        return EXIT_REFUSED
    with tempfile.TemporaryDirectory(prefix="tightrope-auth-") as private:
        extra = []
        if settings.auth == "oidc":
            secrets = write_secrets(settings, Path(private))
            extra = ["--secrets.files", str(secrets)]
        return _serve([*argv, *extra])


def auth_secrets_toml(settings: Settings) -> str:
    """The `[auth]` section Streamlit's st.login reads, from the OIDC settings."""
    assert settings.oidc_client_secret is not None  # the settings refuse auth=oidc without
    assert settings.auth_cookie_secret is not None
    fields = {
        "redirect_uri": settings.oidc_redirect_uri,
        "cookie_secret": settings.auth_cookie_secret.get_secret_value(),
        "client_id": settings.oidc_client_id,
        "client_secret": settings.oidc_client_secret.get_secret_value(),
        "server_metadata_url": f"{settings.oidc_issuer_url}/.well-known/openid-configuration",
    }
    kwargs = {"scope": settings.oidc_scopes, "prompt": settings.oidc_prompt}
    # JSON strings are valid TOML basic strings (same escapes), so no TOML writer is needed.
    lines = ["[auth]", *(f"{k} = {json.dumps(v)}" for k, v in fields.items())]
    lines += ["", "[auth.client_kwargs]", *(f"{k} = {json.dumps(v)}" for k, v in kwargs.items())]
    return "\n".join(lines) + "\n"


def write_secrets(settings: Settings, directory: Path) -> Path:
    """secrets.toml in `directory`, readable by this user only (it holds the client secret)."""
    path = directory / "secrets.toml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(auth_secrets_toml(settings))
    return path


def _address_flag(argv: Sequence[str]) -> dict[str, str]:
    """`--server.address A` or `--server.address=A` among the flags, else
    STREAMLIT_SERVER_ADDRESS (click, not Streamlit's config module, reads that one)."""
    args = list(argv)
    for index, arg in enumerate(args):
        name, _, value = arg.partition("=")
        if name == "--server.address":
            given = value if "=" in arg else (args[index + 1] if index + 1 < len(args) else "")
            return {"server.address": given}
    from_env = os.environ.get("STREAMLIT_SERVER_ADDRESS")
    return {"server.address": from_env} if from_env is not None else {}


def _server_options(argv: Sequence[str]) -> tuple[str | None, dict[str, str]]:
    """The address Streamlit will bind (the flag, else STREAMLIT_SERVER_ADDRESS, else
    .streamlit/config.toml, read the way Streamlit reads them) and its trusted user headers."""
    from streamlit import config

    config.get_config_options(force_reparse=True, options_from_flags=_address_flag(argv))
    address: str | None = config.get_option("server.address")
    trusted: dict[str, str] = config.get_option("server.trustedUserHeaders") or {}
    return address, trusted


def _serve(argv: Sequence[str]) -> int:
    from streamlit.web import cli

    from dashboard.preload import preload

    preload()  # before the server listens: the first visit finds the modules imported

    sys.argv = ["streamlit", "run", str(APP), *argv]
    try:
        cli.main()
    except SystemExit as stopped:
        return stopped.code if isinstance(stopped.code, int) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
