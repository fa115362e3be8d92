"""deploy/kubernetes/: valid for Kubernetes, consistent with each other, and running commands
that journey's own parser accepts, with the flags each workload depends on.

Core kinds are checked by kubernetes-validate --strict (misspelt fields are errors) against a
current Kubernetes. The ServiceMonitor cannot be: it is a Prometheus Operator CRD, whose schema
kubernetes-validate does not ship, and no PyPI, npm or Debian package ships it as a schema (npm's
@kubernetes-models/prometheus-operator has it only as compiled JavaScript validators, PyPI's
cloudcoil-models-prometheus-operator as pydantic models), while this machine reaches nothing
else. So its metadata and selector are checked against Kubernetes' own ObjectMeta and
LabelSelector schemas, and the rest by hand: the fields it uses, their types, and that it
selects the serve Service and names its port.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
from kubernetes_validate import utils as kubernetes_validate
from referencing import Registry, Resource

from runner.arguments import parse
from tests.deploy.kube import (
    MANIFESTS,
    Manifest,
    Workload,
    documents,
    flag,
    image_uid,
    manifest_files,
    pod_template,
    resource,
    resources,
    workload,
    workloads,
)

KUBERNETES = (
    "1.37.0"  # the newest kubernetes-validate ships; a cluster older than 1.27 lacks timeZone
)
CORE_KINDS = {"ConfigMap", "PersistentVolumeClaim", "Deployment", "Service", "Job", "CronJob"}
# Prometheus Operator's Duration (monitoring.coreos.com/v1), as its CRD's pattern writes it
DURATION = re.compile(
    r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
)
SERVE_PORT = 9464  # the Dockerfile's EXPOSE and serve's default


def test_every_manifest_passes_kubernetes_validate_strict() -> None:
    files = [str(p) for p in manifest_files()]
    done = subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", KUBERNETES, *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    passed = {m[1] for line in lines if (m := re.search(r" passed for resource (\S+) ", line))}
    expected = {
        f"{d['kind'].lower()}/{d['metadata']['name']}"
        for _, d in documents()
        if d["kind"] != "ServiceMonitor"
    }
    assert passed == expected, done.stdout
    assert {d["kind"] for _, d in documents()} == CORE_KINDS | {"ServiceMonitor"}
    # the one it cannot check, said so: see test_the_service_monitor_scrapes_the_serve_service
    (warning,) = [line for line in lines if line.startswith("WARN")]
    assert "ServiceMonitor" in warning


def test_strict_validation_rejects_a_misspelt_field() -> None:
    """The check above bites: one wrong key in a probe is an error, not a silent default."""
    deployment = copy.deepcopy(resource("Deployment", "journey-serve"))
    probe = pod_template(deployment)["spec"]["containers"][0]["livenessProbe"]
    probe["httpGet"]["paht"] = probe["httpGet"].pop("path")
    with pytest.raises(kubernetes_validate.ValidationError, match="paht"):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_every_manifest_says_what_it_is_and_how_to_apply_it() -> None:
    for path in manifest_files():
        text = path.read_text(encoding="utf-8")
        header = text.split("\napiVersion:")[0]
        assert header.startswith("# "), path
        applying = [line for line in header.splitlines() if "kubectl apply" in line]
        assert any(f"-f deploy/kubernetes/{path.name}" in line for line in applying), path


def test_serve_runs_once_with_its_history_on_a_volume() -> None:
    deployment = resource("Deployment", "journey-serve")
    assert deployment["spec"]["replicas"] == 1  # SQLite: one writer
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}  # never two pods at once
    serve = workload("journey-serve")
    args = parse(serve.args)
    assert args.command == "serve"
    assert args.host == "0.0.0.0"  # the probes and Prometheus come from outside the pod
    assert args.port == SERVE_PORT
    (claim,) = [v for p, v in serve.mounts().items() if args.db.startswith(p + "/")]
    assert resource("PersistentVolumeClaim", claim["persistentVolumeClaim"]["claimName"])
    # the targets file comes from the ConfigMap it is mounted from, with the key it names
    check_targets_file(serve, args.targets)
    # SIGTERM waits --grace for runs in flight: Kubernetes must wait longer before SIGKILL
    assert serve.pod["terminationGracePeriodSeconds"] > args.grace + 5


def test_serve_probes_and_service_reach_the_port_serve_listens_on() -> None:
    serve = workload("journey-serve")
    port = parse(serve.args).port
    ports = {p["name"]: p["containerPort"] for p in serve.container["ports"]}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = serve.container[kind]["httpGet"]
        assert get["path"] == "/healthz", kind
        assert ports.get(get["port"], get["port"]) == port, kind
    service = resource("Service", "journey-serve")
    labels = pod_template(resource("Deployment", "journey-serve"))["metadata"]["labels"]
    assert selects(service["spec"]["selector"], labels)
    assert selects(
        resource("Deployment", "journey-serve")["spec"]["selector"]["matchLabels"], labels
    )
    # ... and no other workload's pods: a Service picking the load master would be scraped
    others = [
        n
        for n, w in workloads()
        if n != "journey-serve" and selects(service["spec"]["selector"], pod_labels(w))
    ]
    assert others == []
    (service_port,) = service["spec"]["ports"]
    assert ports.get(service_port["targetPort"], service_port["targetPort"]) == port
    annotations = service["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(service_port["port"]) == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_the_service_monitor_scrapes_the_serve_service() -> None:
    """What can be checked of the ServiceMonitor without its CRD schema (module docstring)."""
    monitor = resource("ServiceMonitor", "journey-serve")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    core_schema("objectmeta-meta-v1").validate(monitor["metadata"])
    assert set(monitor["spec"]) == {"selector", "endpoints"}  # namespaceSelector: its own
    core_schema("labelselector-meta-v1").validate(monitor["spec"]["selector"])
    service = resource("Service", "journey-serve")
    assert selects(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    (endpoint,) = monitor["spec"]["endpoints"]
    # the Endpoint fields used here, as the CRD types them (port: the Service port's name)
    assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout"}, endpoint
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert endpoint["path"] == service["metadata"]["annotations"]["prometheus.io/path"]
    for key in ("interval", "scrapeTimeout"):
        assert isinstance(endpoint[key], str) and DURATION.match(endpoint[key]), endpoint[key]


def test_the_probe_cronjob_pushes_once_at_a_time() -> None:
    cronjob = resource("CronJob", "journey-probes")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    probes = workload("journey-probes")
    args = parse(probes.args)
    assert args.command == "run"
    assert args.push_to == "http://pushgateway:9091"
    assert args.push_job == "journey-probes"
    assert any(
        args.out.startswith(p + "/")
        for p, v in probes.mounts().items()
        if "persistentVolumeClaim" in v
    )
    check_targets_file(probes, args.targets)
    # a hung round ends before the next one is due: */5 is 300 s
    assert cronjob["spec"]["schedule"] == "*/5 * * * *"
    assert cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] < 300


def test_the_load_master_waits_for_as_many_workers_as_the_deployment_runs() -> None:
    """The flags that tie master and workers together, values and all, as journey parses them.

    test_workloads.py runs both for real, but with the port and host moved: this is what
    checks the manifests' own values meet.
    """
    master, worker = workload("journey-load-master"), workload("journey-load-worker")
    load, work = parse(master.args), parse(worker.args)
    assert load.command == "load" and load.master
    assert work.command == "worker"
    replicas = resource("Deployment", "journey-load-worker")["spec"]["replicas"]
    assert load.expect_workers == replicas
    service = resource("Service", "journey-load-master")
    assert work.master_host == service["metadata"]["name"]
    assert selects(service["spec"]["selector"], pod_labels(master))
    assert not selects(service["spec"]["selector"], pod_labels(worker))
    (service_port,) = service["spec"]["ports"]
    ports = {p["name"]: p["containerPort"] for p in master.container["ports"]}
    assert work.master_port == service_port["port"] == load.master_port
    assert ports[service_port["targetPort"]] == load.master_port
    assert resource("Job", "journey-load-master")["spec"]["backoffLimit"] == 0
    assert any(
        load.out.startswith(p + "/")
        for p, v in master.mounts().items()
        if "persistentVolumeClaim" in v
    )
    assert flag(master.args, "--journeys") == "/opt/journey/journeys"  # the image's
    check_targets_file(master, load.targets)


def test_every_workload_runs_as_the_image_user_on_a_read_only_root() -> None:
    uid = image_uid()
    for name, work in workloads():
        pod_security = work.pod["securityContext"]
        assert pod_security["runAsNonRoot"] is True, name
        assert pod_security["runAsUser"] == uid, name
        assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}, name
        security = work.container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"] == {"drop": ["ALL"]}, name
        assert work.pod["automountServiceAccountToken"] is False, name
        mounts = work.mounts()
        assert "/tmp" in mounts, name  # Python's and Chromium's temporary files
        if work.args[0] != "worker":  # everything but workers may start Chromium
            assert {"/var/lib/journey", "/dev/shm"} <= set(mounts), name  # $HOME; shared memory
            assert mounts["/dev/shm"]["emptyDir"]["medium"] == "Memory", name
            assert "fsGroup" in pod_security, name  # its volumes writable by the image user
        assert "memory" in work.container["resources"]["limits"], name


def test_every_volume_config_map_and_secret_a_pod_names_is_one() -> None:
    claims = {c["metadata"]["name"] for c in resources("PersistentVolumeClaim")}
    config_maps = {c["metadata"]["name"] for c in resources("ConfigMap")}
    secrets: set[tuple[str, str]] = set()
    used_claims = set()
    for name, work in workloads():
        for volume in work.pod["volumes"]:
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name
                used_claims.add(volume["persistentVolumeClaim"]["claimName"])
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, name
        for mount in work.container.get("volumeMounts", []):
            assert work.volume(mount["name"]), name
        secrets |= set(work.secret_keys().values())
    assert used_claims == claims  # none left over
    # the one Secret is made by kubectl (config.yaml says how): never kept in git
    assert secrets == {("journey-secrets", "shop-token")}
    assert not resources("Secret")
    header = (MANIFESTS / "config.yaml").read_text(encoding="utf-8")
    assert "kubectl create secret generic journey-secrets --from-literal=shop-token=" in header


def check_targets_file(work: Workload, path: str) -> None:
    """`path` is a key of the ConfigMap mounted at its folder, and each ${VAR} it reads is
    a variable the pod sets (else journey exits 2)."""
    folder, key = path.rsplit("/", 1)
    volume = work.mounts()[folder]
    text = resource("ConfigMap", volume["configMap"]["name"])["data"][key]
    wanted = set(re.findall(r"\$\{(\w+)\}", text))
    assert wanted, "the targets file reads its token from a Secret"
    assert wanted <= {e["name"] for e in work.container.get("env", [])}


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_labels(work: Workload) -> dict[str, str]:
    labels: dict[str, str] = pod_template(work.manifest)["metadata"]["labels"]
    return labels


def core_schema(name: str) -> Any:
    """A validator for one of Kubernetes' own schemas (strict: no field it does not know)."""
    folder = f"kubernetes-json-schema/v{KUBERNETES}-local-strict"
    schema = kubernetes_validate.schema_contents(f"{folder}/{name}.json", KUBERNETES)
    definitions = kubernetes_validate.schema_contents(f"{folder}/_definitions.json", KUBERNETES)
    registry: Registry[Manifest] = Resource.from_contents(definitions) @ (
        Resource.from_contents(schema) @ Registry()
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)
