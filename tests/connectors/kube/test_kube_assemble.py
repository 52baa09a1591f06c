"""Assembly of query answers into workloads, and workloads into services (pure units)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from data.connectors.kube.assemble import assemble
from data.connectors.kube.drafts import KubeConfig, capacity, draft, slug, telemetry_selector
from data.connectors.kube.specs import Answers, ContainerSpec, HpaSpec, Skipped, WorkloadSpec

AT = datetime(2026, 10, 1, tzinfo=UTC)
GIB = float(2**30)


def answers(**overrides: Any) -> Answers:
    values: dict[str, Any] = {
        "owners": [], "alive": set(), "containers": [], "requests": [], "limits": [],
        "replicas": [], "workload_labels": [], "namespace_labels": [], "hpa_info": [],
        "hpa_values": {}, "node_info": [], "node_labels": [], "node_capacity": [],
    }  # fmt: skip
    return Answers(**{**values, **overrides})


def owner(pod: str, kind: str, name: str, **extra: str) -> dict[str, str]:
    return {"namespace": "ns", "pod": pod, "workload_type": kind, "workload": name, **extra}


def test_pods_without_owner_and_unknown_kinds_are_skipped_with_reasons() -> None:
    given = answers(owners=[owner("p1", "<none>", "<none>"), owner("p2", "Rollout", "r"),
                            owner("p3", "Rollout", "r")])  # fmt: skip

    inventory = assemble(given, at=AT, window_s=3600)

    assert inventory.workloads == ()
    assert inventory.skipped == (
        Skipped("pod", "ns", "p1", "no owning controller"),
        Skipped("workload", "ns", "Rollout/r", "owner kind Rollout is not supported"),
    )


def test_alive_pods_give_the_spec_and_pause_containers_are_skipped() -> None:
    old, new = ("", "ns", "web-1"), ("", "ns", "web-2")
    cpu = {"resource": "cpu", "container": "app", "namespace": "ns"}
    given = answers(
        owners=[owner("web-1", "Deployment", "web"), owner("web-2", "Deployment", "web")],
        alive={new},
        containers=[{"namespace": "ns", "pod": p, "container": c}
                    for p in ("web-1", "web-2") for c in ("app", "POD")],
        requests=[({**cpu, "pod": "web-1"}, 0.5), ({**cpu, "pod": "web-2"}, 0.75)],
        replicas=[({"namespace": "ns", "workload_type": "Deployment", "workload": "web"}, 2.0)],
    )  # fmt: skip

    inventory = assemble(given, at=AT, window_s=3600)

    (web,) = inventory.workloads
    assert web.containers == (ContainerSpec("app", 0.75),)
    assert (web.replicas, web.pods_seen) == (2, 2)
    assert old[2] in {s.name.split("/")[0] for s in inventory.skipped if s.what == "container"}


def test_the_cluster_label_keeps_two_clusters_apart() -> None:
    given = answers(owners=[owner("a", "Deployment", "web", cluster="eu"),
                            owner("b", "Deployment", "web", cluster="us")],
                    containers=[{"namespace": "ns", "pod": p, "container": "app", "cluster": c}
                                for p, c in (("a", "eu"), ("b", "us"))])  # fmt: skip

    inventory = assemble(given, at=AT, window_s=3600)

    assert [w.cluster_label for w in inventory.workloads] == ["eu", "us"]
    assert [slug(w) for w in inventory.workloads] == ["eu.ns.deploy.web", "us.ns.deploy.web"]
    assert telemetry_selector(inventory.workloads[0])["cluster"] == "eu"


def workload(**overrides: Any) -> WorkloadSpec:
    values: dict[str, Any] = {
        "cluster_label": "", "namespace": "shop", "kind": "Deployment", "name": "cart",
        "replicas": 4, "containers": (ContainerSpec("app", 0.5, None, 1.0), ContainerSpec("envoy")),
    }  # fmt: skip
    return WorkloadSpec(**{**values, **overrides})


def test_team_comes_from_the_namespace_map_then_labels_then_the_namespace() -> None:
    config = KubeConfig(team_label="app.kubernetes.io/team", team_by_namespace={"pay": "money"})
    labelled = {"app_kubernetes_io_team": "carts"}

    assert draft(workload(namespace="pay", labels=labelled), config, None).team == "money"
    assert draft(workload(labels=labelled), config, None).team == "carts"
    assert draft(workload(namespace_labels=labelled), config, None).team == "carts"
    assert draft(workload(), config, None).team == "shop"


def test_environment_words_map_to_the_three_environments() -> None:
    config = KubeConfig(default_environment="dev")

    assert draft(workload(labels={"environment": "Production"}), config, None).environment == "prod"
    assert draft(workload(namespace_labels={"environment": "stg"}), config, None).environment == (
        "staging")  # fmt: skip
    assert draft(workload(labels={"environment": "moon"}), config, None).environment == "dev"


def test_capacity_sums_the_pods_requests_and_floors_at_the_hpa_minimum() -> None:
    hpa = HpaSpec("cart", 2, 8, 70.0)

    config = capacity(workload(hpa=hpa))

    assert (config.replicas, config.min_replicas) == (4, 2)
    assert (config.cpu_request_cores, config.memory_request_gib) == (0.5, 1.0)


def test_long_or_odd_names_still_make_valid_unique_slugs() -> None:
    long_a, long_b = workload(name="a" * 200), workload(name="a" * 199 + "b")

    slugs = {slug(long_a), slug(long_b), slug(workload(cluster_label="Prod EU/1"))}

    assert len(slugs) == 3
    assert all(len(s) <= 120 and s[0].isalnum() for s in slugs)
    assert "prod-eu-1.shop.deploy.cart" in slugs
