"""Patch generation for a Kubernetes change, and its offline check against the OpenAPI schemas."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from data.errors import InvalidPatch
from data.handoff import kube_patch
from data.handoff.kube_patch import Container, Hpa, Workload
from data.handoff.schemas import validate_patch
from tests.factories import make_k8s_config

VERSION = "1.33"
BEFORE = make_k8s_config(replicas=4, min_replicas=2, cpu_request_cores=1.0, memory_request_gib=2.0)
AFTER = replace(BEFORE, replicas=3, cpu_request_cores=0.5, memory_request_gib=1.5)
APP = Container("app", 0.75, 1.5, cpu_limit_cores=2.0, memory_limit_gib=1.0)
SIDECAR = Container("envoy", 0.25, 0.5)


def _deployment(**changes: Any) -> Workload:
    return replace(Workload("shop", "Deployment", "checkout", (APP, SIDECAR)), **changes)


def test_each_container_keeps_its_share_and_replicas_follow() -> None:
    (patch,) = kube_patch.patches(_deployment(), BEFORE, AFTER)

    assert patch["apiVersion"] == "apps/v1"
    assert patch["metadata"] == {"name": "checkout", "namespace": "shop"}
    assert patch["spec"]["replicas"] == 3
    assert kube_patch.containers_of([patch]) == [
        # cpu × 0.5, memory × 0.75; the memory limit (1 GiB) is below the new request: raised
        {"name": "app", "resources": {"requests": {"cpu": "375m", "memory": "1152Mi"},
                                      "limits": {"memory": "1152Mi"}}},
        {"name": "envoy", "resources": {"requests": {"cpu": "125m", "memory": "384Mi"}}},
    ]  # fmt: skip
    validate_patch(patch, VERSION)


def test_an_hpa_gets_the_new_floor_and_the_workload_no_replicas() -> None:
    workload = _deployment(hpa=Hpa("checkout", min_replicas=2, max_replicas=3))
    target = replace(AFTER, replicas=5, min_replicas=3)

    deployment, hpa = kube_patch.patches(workload, BEFORE, target)

    assert "replicas" not in deployment["spec"]  # the HPA owns replicas: never fight it
    assert hpa == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"minReplicas": 3, "maxReplicas": 5},
    }
    validate_patch(hpa, VERSION)


def test_a_rollback_restores_the_requests_and_every_limit_the_apply_raised() -> None:
    (patch,) = kube_patch.rollback_patches(_deployment(), BEFORE, AFTER)

    assert patch["spec"]["replicas"] == 4
    assert kube_patch.containers_of([patch]) == [
        # the apply raised the memory limit to 1152Mi; the rollback puts its own 1 GiB back
        {"name": "app", "resources": {"requests": {"cpu": "750m", "memory": "1536Mi"},
                                      "limits": {"memory": "1024Mi"}}},
        {"name": "envoy", "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}}},
    ]  # fmt: skip
    validate_patch(patch, VERSION)


def test_a_rollback_restores_the_hpa_floor_and_the_maximum_the_apply_raised() -> None:
    workload = _deployment(hpa=Hpa("checkout", min_replicas=2, max_replicas=3))
    target = replace(AFTER, replicas=5, min_replicas=3)

    deployment, hpa = kube_patch.rollback_patches(workload, BEFORE, target)

    assert "replicas" not in deployment["spec"]
    assert hpa["spec"] == {"minReplicas": 2, "maxReplicas": 3}
    validate_patch(hpa, VERSION)


def test_a_rollback_adds_the_hpa_patch_when_only_its_maximum_was_raised() -> None:
    workload = _deployment(hpa=Hpa("checkout", min_replicas=2, max_replicas=3))
    target = replace(BEFORE, replicas=5)  # the floor unchanged: only the maximum moved

    applied = kube_patch.patches(workload, BEFORE, target)
    undone = kube_patch.rollback_patches(workload, BEFORE, target)

    assert applied[1]["spec"] == {"maxReplicas": 5}
    assert undone[1]["kind"] == "HorizontalPodAutoscaler"
    assert undone[1]["spec"] == {"maxReplicas": 3}


def test_a_rollback_leaves_limits_the_apply_did_not_touch() -> None:
    app = Container("app", 0.75, 1.5, cpu_limit_cores=2.0, memory_limit_gib=4.0)
    workload = _deployment(containers=(app, SIDECAR))
    bigger = replace(BEFORE, memory_request_gib=3.0)  # 3 GiB: the app's request under its 4 GiB

    (applied,) = kube_patch.patches(workload, BEFORE, bigger)
    (undone,) = kube_patch.rollback_patches(workload, BEFORE, bigger)

    assert "limits" not in kube_patch.containers_of([applied])[0]["resources"]
    assert "limits" not in kube_patch.containers_of([undone])[0]["resources"]


def test_a_cronjob_patches_its_job_template() -> None:
    (patch,) = kube_patch.patches(_deployment(kind="CronJob"), BEFORE, AFTER)

    assert patch["apiVersion"] == "batch/v1"
    assert "replicas" not in patch["spec"]
    assert (
        patch["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["name"] == "app"
    )
    validate_patch(patch, VERSION)


def test_a_container_without_a_request_gets_an_even_share() -> None:
    workload = _deployment(containers=(Container("app", None, None), Container("log", None, None)))

    (patch,) = kube_patch.patches(workload, BEFORE, AFTER)

    requests = [c["resources"]["requests"] for c in kube_patch.containers_of([patch])]
    assert requests == [{"cpu": "250m", "memory": "768Mi"}] * 2


@pytest.mark.parametrize(
    ("cores", "gib", "cpu", "memory"),
    [(0.0001, 0.0001, "1m", "1Mi"), (0.25, 0.5, "250m", "512Mi"), (1.0001, 1.0, "1001m", "1024Mi")],
)
def test_quantities_round_up(cores: float, gib: float, cpu: str, memory: str) -> None:
    assert (kube_patch.cpu_quantity(cores), kube_patch.memory_quantity(gib)) == (cpu, memory)


def _valid() -> dict[str, Any]:
    (patch,) = kube_patch.patches(_deployment(), BEFORE, AFTER)
    return patch


def test_a_misspelt_field_is_rejected_naming_where() -> None:
    patch = copy.deepcopy(_valid())
    resources = patch["spec"]["template"]["spec"]["containers"][0]["resources"]
    resources["request"] = resources.pop("requests")

    with pytest.raises(InvalidPatch) as refused:
        validate_patch(patch, VERSION)

    assert str(refused.value) == (
        "Deployment patch is invalid at spec.template.spec.containers.0.resources: "
        "Additional properties are not allowed ('request' was unexpected)"
    )


def test_a_wrong_type_is_rejected() -> None:
    patch = copy.deepcopy(_valid())
    patch["spec"]["replicas"] = "three"

    with pytest.raises(InvalidPatch, match=r"at spec\.replicas: 'three' is not of type"):
        validate_patch(patch, VERSION)


def test_a_container_without_its_merge_key_is_rejected() -> None:
    patch = copy.deepcopy(_valid())
    del patch["spec"]["template"]["spec"]["containers"][1]["name"]

    with pytest.raises(InvalidPatch, match=r"at containers\[1\]: a container needs its name"):
        validate_patch(patch, VERSION)


def test_an_unknown_kind_or_version_is_rejected() -> None:
    with pytest.raises(InvalidPatch, match=r"no Kubernetes 1\.33 schema for kind 'Deploymnet'"):
        validate_patch({**_valid(), "kind": "Deploymnet"}, VERSION)
    with pytest.raises(InvalidPatch, match=r"no Kubernetes schemas as old as 1\.2"):
        validate_patch(_valid(), "1.2")
