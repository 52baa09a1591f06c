"""The one Settings object: built once per entrypoint from TIGHTROPE_* env and .env."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from data.clock import Clock, clock_for
from data.gitops_settings import GitopsSettings
from data.prometheus_settings import PrometheusSettings
from data.secret_files import SecretFilesSource
from data.webhook_settings import WebhookSettings

DEFAULT_SQLITE_PATH = Path("var") / "tightrope.db"
# Workflow roles, weakest first: each may do what the ones before it may.
Role = Literal["viewer", "analyst", "approver", "admin"]
AuthMode = Literal["oidc", "none"]
_OIDC_REQUIRED = (
    "oidc_issuer_url",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_redirect_uri",
    "auth_cookie_secret",
)
MIN_COOKIE_SECRET_CHARS = 32


class Settings(PrometheusSettings, WebhookSettings, GitopsSettings):
    """Every knob Tightrope reads from its environment; see README "Configuration".

    The TIGHTROPE_PROMETHEUS_* connection knobs (URL, credentials, TLS, headers) live in the
    base class, data/prometheus_settings.py, with the checks that tie them together; the
    TIGHTROPE_WEBHOOK_* ones in data/webhook_settings.py, TIGHTROPE_GITOPS_* in
    data/gitops_settings.py."""

    # hide_input_in_errors: a bad value never reaches a log or a traceback, since a URL may
    # carry a password and a key may have been pasted into the wrong variable.
    model_config = SettingsConfigDict(
        env_prefix="TIGHTROPE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="SQLAlchemy URL; postgresql+psycopg2://user@host:port/db in production.",
    )
    database_echo: bool = Field(default=False, description="Log every SQL statement.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = Field(default=False, description="One JSON object per log line.")
    local_actor: str = Field(
        default="local-admin",
        min_length=1,
        max_length=120,
        description="Actor recorded in the audit trail until login exists.",
    )
    roles: dict[str, Role] = Field(
        default_factory=dict,
        description=(
            'Actor name → role, JSON (\'{"ana": "analyst"}\'); unknown names are viewers and '
            "local_actor is admin unless listed."
        ),
    )
    auth: AuthMode | None = Field(
        default=None,
        description="Login: `oidc` (an OpenID Connect provider), `none` (no login on any "
        "address, with a banner), or unset (no login, loopback addresses only).",
    )
    oidc_issuer_url: str | None = Field(
        default=None,
        description="The provider's issuer; its /.well-known/openid-configuration is read.",
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_uri: str | None = Field(
        default=None,
        description="This dashboard's public URL + /oauth2callback, as registered at the provider.",
    )
    oidc_scopes: str = Field(
        default="openid email profile",
        pattern=r"(^|\s)openid(\s|$)",
        description="Scopes asked for; add the one that releases the role claim if needed.",
    )
    oidc_prompt: str = Field(
        default="select_account",
        description="OIDC `prompt` sent to the provider (Okta: `login`).",
    )
    oidc_role_claim: str = Field(
        default="groups", min_length=1, description="ID-token claim that holds the user's groups."
    )
    oidc_role_map: dict[str, Role] = Field(
        default_factory=dict,
        description='Group → role, JSON (\'{"finops-approvers": "approver"}\'); the highest '
        "mapped role wins and unmapped users are viewers.",
    )
    auth_cookie_secret: SecretStr | None = Field(
        default=None,
        description="Signs the login cookie; 32+ random characters, the same on every replica.",
    )
    auth_session_max_age_hours: float = Field(
        default=12.0, gt=0, le=30 * 24, description="Hours after login before it is asked again."
    )
    suppression_cooldown_days: int = Field(
        default=30,
        ge=0,
        le=3650,
        description="Days a rejected or rolled-back recommendation is not proposed again.",
    )
    bulk_apply_max_count: int = Field(
        default=20, ge=1, le=10_000, description="Most recommendations one bulk apply may change."
    )
    bulk_apply_max_fleet_pct: float = Field(
        default=10.0,
        gt=0,
        le=100,
        description="Most services one bulk apply may change, in % of active services.",
    )
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    k8s_price_series: str = Field(
        default="e2", description="GCP machine series whose per-core / per-GiB prices price pods."
    )
    commitment_one_year_discount_pct: float = Field(default=37.0, ge=0, lt=100)
    commitment_three_year_discount_pct: float = Field(default=55.0, ge=0, lt=100)
    spot_discount_pct: float = Field(default=70.0, ge=0, lt=100)
    demo_seed: int = Field(default=42, description="Seed of the deterministic demo fleet.")
    demo_services: int = Field(default=150, ge=1, le=20_000)
    demo_days: int = Field(default=90, ge=2, le=400)
    prometheus_timeout_s: float = Field(default=10.0, gt=0, le=300)
    prometheus_max_concurrent_queries: int = Field(
        default=3, ge=1, le=8, description="Collection queries in flight at once (a thread pool)."
    )
    prometheus_max_samples_per_query: int = Field(
        default=20_000_000,
        ge=1_000,
        le=1_000_000_000,
        description="Samples one collection query may load; batches and time chunks are sized "
        "to stay under it (Prometheus refuses over --query.max-samples, default 50,000,000).",
    )
    prometheus_scrape_interval_s: float | None = Field(
        default=None,
        gt=0,
        le=3600,
        description="Scrape interval of the collected series; unset: measured once per run.",
    )
    billing_directory: Path | None = None
    billing_api_url: str | None = Field(
        default=None,
        description="Base URL of the billing REST API (docs/billing_api.md); https, or http "
        "to a loopback host.",
    )
    billing_api_key: SecretStr | None = Field(
        default=None, description="Sent as `Authorization: Bearer <key>`; never logged."
    )
    billing_api_connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    billing_api_read_timeout_s: float = Field(
        default=30.0, gt=0, le=600, description="Longest wait for bytes of one page."
    )
    billing_api_page_size: int = Field(default=1_000, ge=1, le=10_000)
    billing_api_max_attempts: int = Field(
        default=4, ge=1, le=10, description="Tries per page (429 / 5xx / timeouts are retried)."
    )
    billing_api_max_pages: int = Field(
        default=10_000, ge=1, le=1_000_000, description="Pages one billing period may span."
    )
    billing_api_settle_days: int = Field(
        default=5,
        ge=0,
        le=62,
        description="Days after a billing period ends during which it is pulled again "
        "(providers restate the closing month).",
    )
    refresh_interval_minutes: int = Field(default=60, ge=1, le=24 * 60)
    stale_recommendation_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="Open recommendations of a service without usage this recent expire.",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65_535,
        description="Port of the sidecar's /metrics, /healthz and /readyz on metrics_address "
        "(off when unset).",
    )
    query_cache_ttl_s: int = Field(default=300, ge=0, le=24 * 3600)
    clock_fixed_at: AwareDatetime | None = Field(
        default=None,
        description="Stop the clock at this instant (ISO 8601 with offset): every page and job "
        "reads it as now. For tests, demos and reproducing a report as of a date; unset in "
        "production.",
    )
    migrate_database_url: str | None = Field(
        default=None,
        pattern=r"^(sqlite|postgresql)",
        description="URL of the role that owns the schema, used by `python -m data migrate` only "
        "(docs/database.md); unset: database_url.",
    )
    database_app_role: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$",
        description="PostgreSQL role the app connects as: `migrate` grants it DML (only "
        "INSERT/SELECT on audit_event) after upgrading; unset: no grants.",
    )
    demo: bool = Field(
        default=False,
        description="`python -m data bootstrap` seeds the demo fleet into an empty database "
        "(make run sets it); off, bootstrap only migrates.",
    )
    metrics_address: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Address the sidecar's /metrics, /healthz and /readyz bind to (0.0.0.0 in "
        "a container, so Prometheus and the probes reach it).",
    )
    # Kubernetes discovery (data/connectors/kube, decision 015).
    kube_cluster: str = Field(
        default="default",
        min_length=1,
        max_length=120,
        description="Cluster name for series without a `cluster` label.",
    )
    kube_discovery_window_h: int = Field(
        default=24,
        ge=1,
        le=24 * 31,
        description="Workloads with a pod in this many hours before now are discovered; "
        "the others are retired.",
    )
    kube_team_label: str = Field(
        default="team",
        min_length=1,
        max_length=253,
        description="Workload (then namespace) label naming a workload's team.",
    )
    kube_team_by_namespace: dict[str, str] = Field(
        default_factory=dict,
        description='JSON {"namespace": "team"}; wins over labels. Else the namespace is the team.',
    )
    kube_environment_label: str = Field(
        default="environment",
        min_length=1,
        max_length=253,
        description="Workload (then namespace) label naming prod, staging or dev.",
    )
    kube_environment_by_namespace: dict[str, Literal["prod", "staging", "dev"]] = Field(
        default_factory=dict,
        description='JSON {"namespace": "prod|staging|dev"}; wins over labels.',
    )
    kube_default_environment: Literal["prod", "staging", "dev"] = "prod"
    # Per-workload statistics (data/connectors/kube/sizing.py, workload_usage.py; decision 018).
    kube_scrape_interval_s: int = Field(
        default=0,
        ge=0,
        le=3600,
        description="cAdvisor's scrape interval; 0 measures it from the data. Rate windows "
        "are twice it, subquery steps equal it.",
    )
    kube_sizing_window_h: int = Field(
        default=14 * 24,
        ge=1,
        le=24 * 90,
        description="Hours of history per-container CPU p95 and memory max are taken over "
        "(KRR's default: 336).",
    )
    kube_query_max_samples: int = Field(
        default=20_000_000,
        ge=10_000,
        description="Estimated samples one query may read (pods x containers x window / "
        "interval); shards stay below it, under Prometheus's --query.max-samples (50 M).",
    )
    kube_query_workers: int = Field(
        default=2, ge=1, le=8, description="Per-workload statistics queries run at a time."
    )
    cluster_address: str | None = Field(
        default=None,
        description="A Dask scheduler (tcp://host:8786) recompute sends its batches to; unset: "
        "a local cluster of --workers processes, or in-process with one worker.",
    )
    api_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Address the REST API (`python -m api`) binds to (0.0.0.0 in a container).",
    )
    api_port: int = Field(default=8502, ge=1, le=65_535, description="Port of the REST API.")
    api_rate_per_s: float = Field(
        default=20.0, gt=0, le=10_000, description="Requests per second one API key may sustain."
    )
    api_rate_burst: int = Field(
        default=60, ge=1, le=100_000, description="Requests one API key may send at once."
    )
    api_page_size_max: int = Field(
        default=200, ge=1, le=10_000, description="Most items one API list page may return."
    )
    api_simulation_max_path_hours: int = Field(
        default=500 * 90 * 24, ge=24, le=10_000 * 400 * 24,
        description="Most paths x replayed hours one API what-if run may take (the page's run).",
    )  # fmt: skip
    api_simulations_at_once: int = Field(
        default=2, ge=1, le=64, description="What-if runs the API computes at a time (else 429)."
    )
    dashboard_pool_workers: int = Field(
        default=0, ge=0, le=256,
        description="Worker processes of the dashboard's simulation pool (0: every usable CPU).",
    )  # fmt: skip
    kube_allocation_days: int = Field(
        default=7,
        ge=1,
        le=92,
        description="Days (today included) the discovery job re-allocates node cost over "
        "workloads and idle (modelled, decision 014).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """TIGHTROPE_<NAME>_FILE (a mounted secret) ranks above TIGHTROPE_<NAME>: the image's
        environment holds defaults, the mounted file is the deployment's choice."""
        secret_files = SecretFilesSource(settings_cls)
        return init_settings, secret_files, env_settings, dotenv_settings, file_secret_settings

    @field_validator("database_url")
    @classmethod
    def _known_dialect(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg2:// URLs are supported")
        return value

    @field_validator("billing_api_url")
    @classmethod
    def _safe_scheme(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _https_or_loopback(value):
            raise ValueError("the billing API key is only sent over https (http to loopback)")
        return value

    @field_validator("oidc_issuer_url")
    @classmethod
    def _issuer_over_tls(cls, value: str | None) -> str | None:
        if value is not None and not _https_or_loopback(value):
            raise ValueError("the OIDC issuer must be https (http only to a loopback host)")
        return value.rstrip("/") if value else value

    @field_validator("oidc_redirect_uri")
    @classmethod
    def _callback_path(cls, value: str | None) -> str | None:
        if value is not None and not value.endswith("/oauth2callback"):
            raise ValueError("the redirect URI must end with /oauth2callback")
        return value

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        """Login on means every part of it is configured: a half-set provider must not start."""
        if self.auth != "oidc":
            return self
        missing = [name for name in _OIDC_REQUIRED if not getattr(self, name)]
        if missing:
            names = ", ".join(f"TIGHTROPE_{name.upper()}" for name in missing)
            raise ValueError(f"TIGHTROPE_AUTH=oidc needs {names}")
        secret = self.auth_cookie_secret
        if secret is not None and len(secret.get_secret_value()) < MIN_COOKIE_SECRET_CHARS:
            raise ValueError(
                f"TIGHTROPE_AUTH_COOKIE_SECRET needs at least {MIN_COOKIE_SECRET_CHARS} characters"
            )
        return self

    def clock(self) -> Clock:
        """The clock every page and job of this process reads "now" from."""
        return clock_for(self.clock_fixed_at)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    return parts.scheme == "https" or (parts.scheme == "http" and loopback)
