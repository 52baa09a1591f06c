"""TIGHTROPE_GITOPS_*: the repository an applied change is committed to (decision 023)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class GitopsSettings(BaseSettings):
    """The GitOps part of `Settings` (its base class, never built on its own).

    No repository URL: an apply is recorded only, and the page says so. The URL may carry
    credentials (https://user:token@host/…): it is never logged, and errors show it redacted.
    """

    gitops_repo_url: str | None = Field(
        default=None,
        description="Git repository an applied change is committed to: a local path, file://, "
        "https:// or ssh URL. Unset: apply is recorded only.",
    )  # fmt: skip
    gitops_base_branch: str = Field(
        default="main", description="The branch each hand-off branch starts from."
    )
    gitops_branch_prefix: str = Field(
        default="tightrope/", description="Hand-off branches are <prefix><service>-<rec id>."
    )
    gitops_path: str = Field(
        default="tightrope", description="Folder in the repository the patches are written to."
    )
    gitops_author_name: str = Field(default="Tightrope", description="Commit author name.")
    gitops_author_email: str = Field(
        default="tightrope@localhost", description="Commit author email."
    )
    gitops_timeout_s: float = Field(
        default=60.0, gt=0, description="Longest one git command may take."
    )
    gitops_poll_s: int = Field(
        default=30, ge=1, description="How often the sidecar looks for hand-offs due."
    )
    gitops_retry_s: int = Field(
        default=300, ge=1, description="Wait before a failed hand-off is tried again."
    )
