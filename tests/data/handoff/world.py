"""A discovered Kubernetes service with an open recommendation, and a real bare git repository."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from data.handoff.runner import HandoffRunner
from data.models import KubeContainerRow, KubeHpaRow, KubeWorkloadRow
from data.repos import services
from data.repos.stored_recommendations import StoredRecommendation
from data.settings import Settings
from data.workflow import Workflow
from engine.capacity import CapacityConfig
from engine.recommendation import SlaSummary
from tests.data.workflow.world import make_policy, make_rec, store
from tests.factories import T0, make_k8s_config, make_new_service
from tests.support.tiers import find_binary, unavailable

SLUG = "shop.deploy.checkout"
CURRENT = make_k8s_config(replicas=4, min_replicas=2, cpu_request_cores=1.0, memory_request_gib=2.0)
PROPOSED = replace(CURRENT, replicas=3, cpu_request_cores=0.5, memory_request_gib=1.5)


def require_git() -> Path:
    """The git binary, or a visible skip (a failure under CI=true)."""
    found = find_binary("git")
    if found is None:
        unavailable("git is not installed (apt-get install git)")
    assert found is not None
    return found


def bare_repository(where: Path) -> Path:
    """`git init --bare` with one commit on main (a README), as a real GitOps repo has."""
    require_git()
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(where)], check=True)
    seed = where.parent / f"{where.name}-seed"
    git = ["git", "-C", str(seed), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    (seed / "README.md").write_text("cluster config\n", encoding="utf-8")
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "initial"], check=True)
    subprocess.run([*git, "push", "-q", str(where), "main"], check=True)
    return where


def git_show(repo: Path, revision: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "show", revision], check=True, capture_output=True, text=True
    )
    return done.stdout


def branches(repo: Path) -> dict[str, str]:
    """Branch → commit id in `repo`."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "for-each-ref", "--format=%(refname:short) %(objectname)",
         "refs/heads"], check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(line.split(" ", 1) for line in listed.splitlines())


def kube_service(
    sessions: sessionmaker[Session], current: CapacityConfig = CURRENT, *, hpa: bool = False
) -> int:
    """The service discovery makes of Deployment shop/checkout (two containers)."""
    with sessions.begin() as session:
        draft = make_new_service(SLUG, name=SLUG, platform="kubernetes")
        (service,) = services.add_services(session, [draft], now=T0)
        services.set_capacity(session, service.id, current, actor="discovery", now=T0)
        service_id = service.id
        workload = KubeWorkloadRow(
            service_id=service_id, cluster="c1", namespace="shop", kind="Deployment",
            name="checkout", replicas=current.replicas, labels={}, first_seen_at=T0,
        )  # fmt: skip
        session.add(workload)
        session.flush()
        session.add_all([
            KubeContainerRow(workload_id=workload.id, name="app", cpu_request_cores=0.75,
                             memory_request_gib=1.5, memory_limit_gib=4.0),
            KubeContainerRow(workload_id=workload.id, name="envoy", cpu_request_cores=0.25,
                             memory_request_gib=0.5),
        ])  # fmt: skip
        if hpa:
            session.add(KubeHpaRow(workload_id=workload.id, name="checkout", min_replicas=2,
                                   max_replicas=6))  # fmt: skip
    return service_id


def kube_rec(
    sessions: sessionmaker[Session], *, hpa: bool = False, memory_request_gib: float = 1.5
) -> StoredRecommendation:
    """A recommendation for shop/checkout: 3 replicas, half the CPU, the pod's memory given."""
    service_id = kube_service(sessions, hpa=hpa)
    changes = {"replicas": 3, "cpu_request_cores": 0.5, "memory_request_gib": memory_request_gib}
    verdict = SlaSummary(
        passes=True,
        projected_p95_ms=180.0,
        hours_within_target_pct=99.5,
        peak_utilization=0.62,
        n_plus_one_ok=True,
        availability_ok=True,
    )
    return store(sessions, replace(make_rec(service_id, CURRENT, **changes), sla=verdict))


def gitops(settings: Settings, url: str | Path) -> Settings:
    return settings.model_copy(update={"gitops_repo_url": str(url), "gitops_retry_s": 300})


def flow(sessions: sessionmaker[Session], settings: Settings) -> Workflow:
    """The workflow as the pages and the API build it: with the hand-off step after commit."""
    return Workflow(sessions, make_policy(), HandoffRunner(sessions, settings))
