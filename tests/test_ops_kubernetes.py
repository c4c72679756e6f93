"""deploy/kubernetes/: every manifest validates against the Kubernetes API
schemas (kubernetes-validate, strict) and fits the shop: the probes, commands,
ports, secrets and settings the engine really has, and resource requests above
the measured resident memory (docs/performance.md)."""
from __future__ import annotations

import os
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from engine.cli import main
from engine.settings import JobsSettings, load_settings

KUBERNETES = "1.33.0"
MANIFESTS = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"
#: resident memory of one process after the load runs in docs/performance.md (web worker, job worker)
MEASURED_RSS_MB = {"web": 118, "worker": 136}
UNITS = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}


def mebibytes(quantity: str) -> float:
    return float(quantity[:-2]) * UNITS[quantity[-2:]]


@pytest.fixture(scope="module")
def resources() -> dict[tuple[str, str], dict]:
    found = {}
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            kubernetes_validate.validate(document, KUBERNETES, strict=True)  # raises ValidationError
            key = (document["kind"], document["metadata"]["name"])
            assert key not in found, key
            assert document["kind"] == "Namespace" or document["metadata"]["namespace"] == "shopwright"
            found[key] = document
    return found


def container(resources, kind: str, name: str) -> dict:
    [only] = resources[kind, name]["spec"]["template"]["spec"]["containers"]
    return only


def test_every_manifest_validates_and_every_piece_is_there(resources):
    assert set(resources) == {
        ("Namespace", "shopwright"), ("ConfigMap", "shopwright-config"), ("Secret", "shopwright-secrets"),
        ("PersistentVolumeClaim", "shopwright-media"), ("Job", "shopwright-migrate"),
        ("Deployment", "shopwright-web"), ("Service", "shopwright-web"),
        ("HorizontalPodAutoscaler", "shopwright-web"), ("PodDisruptionBudget", "shopwright-web"),
        ("Deployment", "shopwright-worker"),
    }


def test_a_broken_manifest_is_refused():
    deployment = yaml.safe_load((MANIFESTS / "40-worker.yaml").read_text())
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_the_config_map_holds_valid_settings_and_the_secret_the_rest(resources, tmp_path):
    config = tmp_path / "shopwright.toml"
    config.write_text(resources["ConfigMap", "shopwright-config"]["data"]["shopwright.toml"])
    secret = resources["Secret", "shopwright-secrets"]["stringData"]
    settings = load_settings(config_path=str(config), environ={**secret, "SHOPWRIGHT_REDIS_URL": "redis://r:6379/0"})
    assert settings.server.workers == 1 and settings.jobs.worker_health_port == 8001
    assert settings.jobs.worker_health_host == "0.0.0.0" and settings.ops.metrics_networks == []
    assert {"SHOPWRIGHT_SECRET_KEY", "SHOPWRIGHT_DATABASE_URL", "SHOPWRIGHT_REDIS_URL"} <= set(secret)
    for kind, name in (("Deployment", "shopwright-web"), ("Deployment", "shopwright-worker"),
                       ("Job", "shopwright-migrate")):
        pod = container(resources, kind, name)
        assert pod["envFrom"] == [{"secretRef": {"name": "shopwright-secrets"}}]
        assert {"name": "SHOPWRIGHT_CONFIG", "value": "/srv/shop/config/shopwright.toml"} in pod["env"]
        assert pod["command"][0] == "shopwright" and pod["command"][1] in main.commands, pod["command"]
    assert os.path.dirname("/srv/shop/config/shopwright.toml") == container(
        resources, "Deployment", "shopwright-web")["volumeMounts"][0]["mountPath"]


def test_web_probes_service_and_autoscaler(resources):
    web = container(resources, "Deployment", "shopwright-web")
    assert web["command"] == ["shopwright", "serve", "--workers", "1"]
    assert web["ports"] == [{"name": "http", "containerPort": 8000}]
    assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    labels = resources["Deployment", "shopwright-web"]["spec"]["template"]["metadata"]["labels"]
    service = resources["Service", "shopwright-web"]["spec"]
    assert service["selector"].items() <= labels.items() and service["ports"][0]["targetPort"] == "http"
    scale = resources["HorizontalPodAutoscaler", "shopwright-web"]["spec"]
    assert scale["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shopwright-web"}
    assert 1 <= scale["minReplicas"] < scale["maxReplicas"]
    assert "cpu" in web["resources"]["requests"], "CPU autoscaling needs a CPU request"


def test_worker_and_migration(resources):
    worker = container(resources, "Deployment", "shopwright-worker")
    assert worker["command"] == ["shopwright", "worker"]
    assert worker["ports"] == [{"name": "health", "containerPort": 8001}]
    assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    grace = resources["Deployment", "shopwright-worker"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > JobsSettings().shutdown_grace_seconds, "running jobs may finish before the kill"
    job = resources["Job", "shopwright-migrate"]["spec"]
    assert container(resources, "Job", "shopwright-migrate")["command"] == ["shopwright", "migrate"]
    assert job["template"]["spec"]["restartPolicy"] == "Never"


def test_resource_requests_cover_the_measured_memory(resources):
    for role, (kind, name) in {"web": ("Deployment", "shopwright-web"),
                               "worker": ("Deployment", "shopwright-worker")}.items():
        limits = container(resources, kind, name)["resources"]
        request, limit = mebibytes(limits["requests"]["memory"]), mebibytes(limits["limits"]["memory"])
        assert MEASURED_RSS_MB[role] < request <= limit, role
    page_cache = load_settings(config_path=os.devnull, environ={}).cache.max_memory_mb
    web = container(resources, "Deployment", "shopwright-web")["resources"]
    assert mebibytes(web["limits"]["memory"]) >= MEASURED_RSS_MB["web"] + page_cache, "room for the page cache"
