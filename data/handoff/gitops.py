"""Commit files on a branch of the GitOps repository and push it, with the git binary.

The git CLI rather than a library: it is what the operator's credentials (ssh agent, credential
helper) are already set up for, every protocol works (local path, file://, https, ssh), and it
adds no dependency. Each hand-off works in a fresh temporary clone of one branch, deleted after.

Idempotent: when the branch already holds these exact files (an earlier push whose result was
not recorded), nothing is committed and the branch's head is the answer.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from data.errors import GitOpsFailed
from data.gitops_settings import GitopsSettings

_CREDENTIALS = re.compile(r"([a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)
MAX_ERROR_CHARS = 500


@dataclass(frozen=True, slots=True)
class GitTarget:
    """Where hand-offs go: the TIGHTROPE_GITOPS_* settings."""

    url: str = field(repr=False)  # may carry credentials: never in a repr or a log line
    base_branch: str
    author_name: str
    author_email: str
    timeout_s: float

    @classmethod
    def from_settings(cls, settings: GitopsSettings) -> GitTarget | None:
        if not settings.gitops_repo_url:
            return None
        return cls(settings.gitops_repo_url, settings.gitops_base_branch,
                   settings.gitops_author_name, settings.gitops_author_email,
                   settings.gitops_timeout_s)  # fmt: skip

    @property
    def shown(self) -> str:
        """The URL as logs and pages may show it: credentials replaced by ***."""
        return redact(self.url)


def redact(text: str) -> str:
    return _CREDENTIALS.sub(r"\1***@", text)


def push_files(target: GitTarget, branch: str, files: Mapping[str, str], message: str) -> str:
    """Commit `files` (repository path → text) on `branch` and push it; returns the commit id.

    The branch starts from the base branch (or from nothing, in an empty repository)."""
    with tempfile.TemporaryDirectory(prefix="tightrope-gitops-") as scratch:
        git = _Git(target, Path(scratch))
        git("init", "-q")
        git("remote", "add", "origin", target.url)
        heads = _remote_heads(git, branch, target.base_branch)
        start = branch if branch in heads else target.base_branch
        if start in heads:
            git("fetch", "-q", "--depth", "1", "origin", f"refs/heads/{start}")
            git("checkout", "-q", "-B", branch, "FETCH_HEAD")
        else:
            git("checkout", "-q", "--orphan", branch)
        for name, text in files.items():
            path = Path(scratch) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        git("add", "--", *files)
        if branch in heads and not git.changed():
            return git("rev-parse", "HEAD")  # pushed before: nothing new to say
        git("commit", "-q", "-m", message)
        git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return git("rev-parse", "HEAD")


def _remote_heads(git: _Git, *names: str) -> set[str]:
    listed = git("ls-remote", "--heads", "origin", *(f"refs/heads/{n}" for n in names))
    return {
        line.split("refs/heads/", 1)[1] for line in listed.splitlines() if "refs/heads/" in line
    }


class _Git:
    """git in one working directory, never prompting, its errors redacted."""

    def __init__(self, target: GitTarget, where: Path) -> None:
        self._target, self._where = target, where
        self._env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": target.author_name,
            "GIT_AUTHOR_EMAIL": target.author_email,
            "GIT_COMMITTER_NAME": target.author_name,
            "GIT_COMMITTER_EMAIL": target.author_email,
        }

    def __call__(self, *args: str) -> str:
        return self._run(args, check=True).stdout.strip()

    def changed(self) -> bool:
        return self._run(("diff", "--cached", "--quiet"), check=False).returncode != 0

    def _run(self, args: tuple[str, ...], *, check: bool) -> subprocess.CompletedProcess[str]:
        try:
            # The arguments are ours (no shell); the url is the operator's own setting.
            done = subprocess.run(  # noqa: S603
                ["git", *args],  # noqa: S607 (git from PATH, as the operator's shell finds it)
                cwd=self._where, env=self._env, capture_output=True, encoding="utf-8",
                errors="replace", timeout=self._target.timeout_s, check=False,
            )  # fmt: skip
        except FileNotFoundError as missing:
            raise GitOpsFailed("the git binary is not installed") from missing
        except subprocess.TimeoutExpired as slow:
            raise GitOpsFailed(f"git {args[0]} took longer than {self._target.timeout_s:g} s "
                               f"({self._target.shown})") from slow  # fmt: skip
        if check and done.returncode != 0:
            said = done.stderr.strip() or done.stdout.strip()
            said = redact(said.replace(self._target.url, self._target.shown))[:MAX_ERROR_CHARS]
            raise GitOpsFailed(f"git {args[0]} failed ({self._target.shown}): {said}")
        return done
