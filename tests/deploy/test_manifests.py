"""docker-compose.yml and deploy/kubernetes/ validate, and agree with the image and each other."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from sqlalchemy.orm import sessionmaker

from api.app import create_app
from data.settings import Settings
from tests.deploy.compose_schema import COMPOSE_SCHEMA
from tests.deploy.deployment_files import (
    KUBERNETES_DIR,
    REPO_ROOT,
    compose,
    compose_command,
    dockerfile_instructions,
    image_command,
    image_environment,
    image_value,
    kubernetes_documents,
    kustomization,
    named,
)

_NO_DATABASE = sessionmaker()  # the routes are read, never served
KUBERNETES_VERSION = "1.30.0"  # the oldest minor still supported upstream when this was written
MIGRATE = ["python", "-m", "data", "migrate"]
SIDECAR = ["python", "-m", "jobs", "run"]
API = ["python", "-m", "api"]


@pytest.mark.parametrize("document", kubernetes_documents(), ids=lambda d: d["metadata"]["name"])
def test_each_kubernetes_resource_validates_strictly(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_a_broken_manifest() -> None:
    broken = copy.deepcopy(named(kubernetes_documents(), "Deployment", "tightrope-sidecar"))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = 1

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    files = {p.name for p in KUBERNETES_DIR.glob("*.yaml")}

    assert set(kustomization()["resources"]) == files - {
        "kustomization.yaml",
        "secrets.example.yaml",
    }


def test_every_probe_targets_a_port_its_container_exposes() -> None:
    probes = 0
    for container in _containers():
        ports = {p["containerPort"] for p in container.get("ports", [])}
        ports |= {p["name"] for p in container.get("ports", [])}
        for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
            if kind in container:
                probes += 1
                assert container[kind]["httpGet"]["port"] in ports, (container["name"], kind)
    assert probes == 6  # liveness and readiness on the dashboard, the API and the sidecar


def test_the_api_is_deployed_with_probes_on_its_own_health_routes() -> None:
    documents = kubernetes_documents()
    api = _main_container(named(documents, "Deployment", "tightrope-api"))
    service = named(documents, "Service", "tightrope-api")
    routes = set(create_app(Settings(_env_file=None), _NO_DATABASE).openapi()["paths"])

    assert api["command"] == API == compose_command("api")
    assert api["ports"] == [
        {"name": "http", "containerPort": int(image_environment()["TIGHTROPE_API_PORT"])}
    ]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz"} <= routes
    assert (
        service["spec"]["selector"]
        == named(documents, "Deployment", "tightrope-api")["spec"]["selector"]["matchLabels"]
    )
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_every_pod_runs_unprivileged_non_root_on_a_read_only_root() -> None:
    for pod in _pod_specs():
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True
        assert security["runAsUser"] != 0
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
    for container in _containers():
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, container["name"]
        assert security["allowPrivilegeEscalation"] is False, container["name"]
        assert security["capabilities"]["drop"] == ["ALL"], container["name"]
        assert {"requests", "limits"} <= set(container["resources"]), container["name"]
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/data", "/tmp"}


def test_the_sidecar_runs_once_and_is_replaced_not_rolled() -> None:
    sidecar = named(kubernetes_documents(), "Deployment", "tightrope-sidecar")

    assert sidecar["spec"]["replicas"] == 1
    assert sidecar["spec"]["strategy"] == {"type": "Recreate"}
    assert _main_container(sidecar)["command"][:4] == SIDECAR


def test_only_the_migrate_job_migrates_and_the_apps_wait_for_it() -> None:
    documents = kubernetes_documents()
    job = named(documents, "Job", "tightrope-migrate")
    apps = [d for d in documents if d["kind"] == "Deployment"]

    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == MIGRATE
    assert _env(job["spec"]["template"]["spec"]["containers"][0])[
        "TIGHTROPE_DATABASE_URL_FILE"
    ].endswith("owner-url")
    for app in apps:
        init = app["spec"]["template"]["spec"]["initContainers"]
        assert [c["name"] for c in init] == ["wait-for-schema"]
        assert "python -m data schema-ready" in init[0]["command"][-1]
        for container in app["spec"]["template"]["spec"]["containers"]:
            assert "migrate" not in " ".join(container["command"])
            assert _env(container)["TIGHTROPE_DATABASE_URL_FILE"].endswith("app-url")


def test_the_apps_run_the_image_and_compose_commands() -> None:
    dashboard = named(kubernetes_documents(), "Deployment", "tightrope-dashboard")
    sidecar = named(kubernetes_documents(), "Deployment", "tightrope-sidecar")

    assert _main_container(dashboard)["command"] == image_command()
    assert compose_command("dashboard") == image_command()
    assert compose_command("sidecar") == SIDECAR == _main_container(sidecar)["command"][:4]
    assert compose_command("migrate") == MIGRATE


def test_every_secret_and_config_reference_resolves() -> None:
    documents = kubernetes_documents()
    secrets = {
        d["metadata"]["name"]: set(d["stringData"]) for d in documents if d["kind"] == "Secret"
    }
    config = named(documents, "ConfigMap", "tightrope-config")
    for pod in _pod_specs():
        for volume in pod["volumes"]:
            secret = volume.get("secret")
            if secret and not secret.get("optional"):
                assert {i["key"] for i in secret["items"]} <= secrets[secret["secretName"]]
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            assert container["envFrom"] == [{"configMapRef": {"name": "tightrope-config"}}]
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in secrets[ref["name"]]
    assert config["data"]["TIGHTROPE_AUTH"] != "none"


def test_compose_matches_its_schema() -> None:
    jsonschema.validate(compose(), COMPOSE_SCHEMA)


def test_the_compose_schema_rejects_a_misspelt_key() -> None:
    broken = copy.deepcopy(compose())
    broken["services"]["dashboard"]["depend_on"] = broken["services"]["dashboard"].pop("depends_on")

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, COMPOSE_SCHEMA)


def test_compose_migrates_before_the_apps_start() -> None:
    services = compose()["services"]

    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for app in ("dashboard", "api", "sidecar"):
        assert services[app]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }


def test_compose_health_checks_reach_each_process_own_port() -> None:
    services = compose()["services"]
    image = image_environment()

    dashboard_check = " ".join(services["dashboard"]["healthcheck"]["test"])
    sidecar_check = " ".join(services["sidecar"]["healthcheck"]["test"])

    assert f":{image['STREAMLIT_SERVER_PORT']}/_stcore/health" in dashboard_check
    sidecar_port = services["sidecar"]["environment"]["TIGHTROPE_METRICS_PORT"]
    assert f":{sidecar_port}/readyz" in sidecar_check
    api_port = services["api"]["environment"]["TIGHTROPE_API_PORT"]
    assert api_port == image["TIGHTROPE_API_PORT"]
    assert f":{api_port}/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["api"]["environment"]["TIGHTROPE_API_HOST"] == "0.0.0.0"
    assert services["api"]["ports"] == [f"{api_port}:{api_port}"]
    assert services["api"]["environment"] == services["dashboard"]["environment"] | {
        "TIGHTROPE_API_HOST": "0.0.0.0",
        "TIGHTROPE_API_PORT": api_port,
    }  # the same database, login and logging as the dashboard
    assert services["sidecar"]["environment"]["TIGHTROPE_METRICS_ADDRESS"] == "0.0.0.0"


def test_compose_prometheus_scrapes_the_sidecar() -> None:
    config = yaml.safe_load((REPO_ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    port = compose()["services"]["sidecar"]["environment"]["TIGHTROPE_METRICS_PORT"]

    targets = [
        t for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    ]
    assert targets == [f"sidecar:{port}"]


def test_compose_dev_oidc_is_opt_in_and_every_secret_is_declared() -> None:
    document = compose()
    declared = set(document["secrets"])

    assert document["services"]["dev-oidc"]["profiles"] == ["dev-oidc"]
    for name, service in document["services"].items():
        assert set(service.get("secrets", [])) <= declared, name
        assert service.get("environment", {}).get("TIGHTROPE_AUTH") != "none", name


def test_the_image_is_non_root_read_only_code_with_a_data_volume() -> None:
    instructions = dockerfile_instructions()
    env = image_environment()

    assert image_value("USER").split(":")[0] not in {"root", "0"}
    assert image_value("VOLUME") == "/data"
    assert env["TIGHTROPE_DATABASE_URL"] == "sqlite:////data/tightrope.db"
    assert "TIGHTROPE_AUTH" not in env
    copies = [rest for keyword, rest in instructions if keyword == "COPY"]
    assert copies
    assert not any("--chown" in rest for rest in copies)  # the code stays root-owned
    assert "HEALTHCHECK" not in {keyword for keyword, _ in instructions}
    assert "bootstrap" not in " ".join(image_command())


def _pod_specs() -> Iterator[dict[str, Any]]:
    for document in kubernetes_documents():
        if document["kind"] in ("Deployment", "Job"):
            yield document["spec"]["template"]["spec"]


def _containers() -> Iterator[dict[str, Any]]:
    for pod in _pod_specs():
        yield from pod.get("initContainers", [])
        yield from pod["containers"]


def _main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {var["name"]: var.get("value", "") for var in container.get("env", [])}
