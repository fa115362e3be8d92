"""The manifests' commands run for real, outside Kubernetes: the serve Deployment's, the
probe CronJob's, and the load master Job's with the worker Deployment's, each by the console
script of the emulated image (conftest.py), from its WORKDIR, with their mounts moved to
folders of the test's own (tests/deploy/kube.py).

Changed from the manifests, and only these: the targets file's URLs point at a demo shop on
loopback; Secret keys get a stand-in value; serve listens on 127.0.0.1 and a free port instead
of 0.0.0.0:9464; the CronJob pushes to a real Pushgateway on loopback instead of
http://pushgateway:9091; the master listens on a free port, which the workers reach on
127.0.0.1 instead of the Service's name, and plays flash-sale at `--time-scale 0.01` (13
minutes in 8 s), the one flag added.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from runner.demoshop.process import free_port
from tests.deploy.conftest import Image
from tests.deploy.kube import config_map_files, flag, replace_flag, resource, workload
from tests.outputs.test_pushgateway import running_pushgateway

SURFACES = ("base_url", "storefront", "api", "pos", "export")
# A pass, or a latency objective missed on a machine busy with other tests (the steps must
# still all pass): both mean the command ran, judged and reported. Any other exit is a fault.
VERDICTS = {0: "pass", 1: "fail"}


def at_shop(config_maps: dict[str, dict[str, str]], shop: str) -> dict[str, dict[str, str]]:
    """The ConfigMaps with every URL of the targets file pointed at `shop`, the rest kept."""
    moved = {name: dict(files) for name, files in config_maps.items()}
    targets = yaml.safe_load(moved["journey-targets"]["targets.yaml"])
    for environment in targets["targets"].values():
        for surface in SURFACES:
            if surface in environment:
                environment[surface] = shop
    moved["journey-targets"]["targets.yaml"] = yaml.safe_dump(targets)
    return moved


@contextlib.contextmanager
def started(
    image: Image, argv: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(image.journey), *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=image.environ(env),
            cwd=image.workdir,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.slow  # serve start-up, a round of probes, the stop: ~5 s
@pytest.mark.browser
def test_the_serve_deployment_answers_its_probes_and_stops_on_sigterm(
    built_image: Image, demo_shop: str, tmp_path: Path
) -> None:
    serve = workload("journey-serve")
    argv, env = serve.localise(
        built_image.workdir, tmp_path, at_shop(config_map_files(), demo_shop)
    )
    port = free_port()
    argv = replace_flag(replace_flag(argv, "--host", "127.0.0.1"), "--port", str(port))
    probe = serve.container["readinessProbe"]["httpGet"]["path"]
    metrics = resource("Service", "journey-serve")["metadata"]["annotations"]["prometheus.io/path"]
    with started(built_image, argv, env, tmp_path / "serve.log") as proc:
        deadline = time.monotonic() + 30
        while True:  # what the startup and readiness probes wait for
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        # what Prometheus scrapes: every shipped journey is being probed, against `staging`
        text = httpx.get(f"http://127.0.0.1:{port}{metrics}", timeout=5).text
        journeys = {
            s.labels["journey"]
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "journey_runs_total" and s.labels.get("target") == "staging"
        }
        assert journeys >= {p.stem for p in (built_image.workdir / "journeys").glob("*.yaml")}
        proc.send_signal(signal.SIGTERM)  # what the kubelet sends, through tini
        grace = serve.pod["terminationGracePeriodSeconds"]
        assert proc.wait(timeout=grace) == 0, (tmp_path / "serve.log").read_text()
    # the history is on the volume mounted at --db's folder (the PVC)
    db = Path(flag(argv, "--db"))
    assert db.is_file() and db.parent == tmp_path / "var-lib-journey"


@pytest.mark.slow  # one round of every shipped journey, browser flows too: ~8 s
@pytest.mark.browser
def test_the_probe_cronjob_pushes_its_run_to_a_pushgateway(
    built_image: Image, demo_shop: str, tmp_path: Path
) -> None:
    probes = workload("journey-probes")
    argv, env = probes.localise(
        built_image.workdir, tmp_path, at_shop(config_map_files(), demo_shop)
    )
    job = flag(argv, "--push-job")
    with running_pushgateway(tmp_path / "pushgateway.log") as pushgateway:
        argv = replace_flag(argv, "--push-to", pushgateway)
        deadline = resource("CronJob", "journey-probes")["spec"]["jobTemplate"]["spec"]
        done = built_image.run(argv, env, timeout_s=deadline["activeDeadlineSeconds"])
        assert done.returncode in VERDICTS, done.stdout + done.stderr
        assert done.stderr == ""  # a failed push would say so here
        text = httpx.get(f"{pushgateway}/metrics", timeout=5).text
    pushed = [
        s
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.labels.get("job") == job and s.labels.get("target") == "staging"
    ]
    verdicts = {s.labels["verdict"]: s.value for s in pushed if s.name == "journey_verdict"}
    assert verdicts == {VERDICTS[done.returncode]: 1}
    runs = {p.stem for p in (built_image.workdir / "journeys").glob("*.yaml")}
    succeeded = {
        s.labels["journey"]
        for s in pushed
        if s.name == "journey_runs_total" and s.labels["result"] == "success" and s.value >= 1
    }
    assert succeeded == runs, done.stdout  # every journey ran, every step passed
    # the report stays on the volume (the PVC) mounted at --out's folder
    out = Path(flag(argv, "--out"))
    assert (out / "index.html").is_file() and out.parent == tmp_path / "reports"
    assert "stand-in-secret-value" not in (out / "results.json").read_text()


@pytest.mark.slow  # a 4-worker rehearsal of flash-sale at --time-scale 0.01: ~12 s
@pytest.mark.browser  # the profile's checkout probe runs in Chromium on the master
def test_the_load_master_job_and_its_workers_rehearse_together(
    built_image: Image, demo_shop: str, tmp_path: Path
) -> None:
    master, worker = workload("journey-load-master"), workload("journey-load-worker")
    config_maps = at_shop(config_map_files(), demo_shop)
    port = str(free_port())
    load, load_env = master.localise(built_image.workdir, tmp_path / "master", config_maps)
    load = [*replace_flag(load, "--master-port", port), "--time-scale", "0.01"]
    work, work_env = worker.localise(built_image.workdir, tmp_path / "worker", config_maps)
    work = replace_flag(replace_flag(work, "--master-host", "127.0.0.1"), "--master-port", port)
    replicas = resource("Deployment", "journey-load-worker")["spec"]["replicas"]
    with contextlib.ExitStack() as stack:
        job = stack.enter_context(started(built_image, load, load_env, tmp_path / "master.log"))
        workers = [
            stack.enter_context(started(built_image, work, work_env, tmp_path / f"worker-{i}.log"))
            for i in range(replicas)
        ]
        code = job.wait(timeout=90)
        assert code in VERDICTS, (tmp_path / "master.log").read_text()
        for i, proc in enumerate(workers):  # each let go by the master: exit 0
            assert proc.wait(timeout=30) == 0, (tmp_path / f"worker-{i}.log").read_text()
    out = Path(flag(load, "--out"))
    assert (out / "index.html").is_file() and out.parent == tmp_path / "master" / "reports"
    results = json.loads((out / "results.json").read_text())
    assert results["verdict"] == VERDICTS[code]
    assert results["load"]["workers"] == {"expected": replicas, "ready": replicas, "lost": []}
    failures = [
        s.value
        for family in text_string_to_metric_families((out / "metrics.prom").read_text())
        for s in family.samples
        if s.name == "journey_load_request_failures_total"
    ]
    assert failures == [0], (tmp_path / "master.log").read_text()
