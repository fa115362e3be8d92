"""The manifests under deploy/kubernetes/ and the Dockerfile, read as data, and their commands
moved onto this machine so that tests can run them outside Docker and Kubernetes.

`Workload` is one Deployment, Job or CronJob's container: its args, env and mounts. Moving a
command here (`Workload.localise`) maps each mount path to a folder of the test's own, the
image's WORKDIR to an emulated one (`tests/deploy/conftest.py`), and fills each Secret key with
a stand-in value, exactly as the kubelet would fill them: nothing else of the command changes
unless a test says so (`replace_flag`), and then only a flag the command already has.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
DOCKERFILE = ROOT / "Dockerfile"
WORKDIR = "/opt/journey"  # the Dockerfile's WORKDIR, checked in test_image.py
SECRET_STAND_IN = "stand-in-secret-value"

Manifest = dict[str, Any]


def manifest_files() -> list[Path]:
    return sorted(MANIFESTS.glob("*.yaml"))


def documents() -> list[tuple[Path, Manifest]]:
    """Every resource of every manifest file, with its file."""
    return [
        (path, document)
        for path in manifest_files()
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document
    ]


def resource(kind: str, name: str) -> Manifest:
    (found,) = [d for _, d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def resources(kind: str) -> list[Manifest]:
    return [d for _, d in documents() if d["kind"] == kind]


def pod_template(workload: Manifest) -> Manifest:
    """The pod template of a Deployment, Job or CronJob."""
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: Manifest = spec["template"]
    return template


@dataclass
class Workload:
    """One workload's only container, and the pod it runs in."""

    manifest: Manifest
    pod: Manifest = field(init=False)
    container: Manifest = field(init=False)

    def __post_init__(self) -> None:
        self.pod = pod_template(self.manifest)["spec"]
        (self.container,) = self.pod["containers"]

    @property
    def args(self) -> list[str]:
        return list(self.container["args"])

    def volume(self, name: str) -> Manifest:
        (found,) = [v for v in self.pod["volumes"] if v["name"] == name]
        return found

    def mounts(self) -> dict[str, Manifest]:
        """Mount path → the volume mounted there."""
        return {m["mountPath"]: self.volume(m["name"]) for m in self.container["volumeMounts"]}

    def secret_keys(self) -> dict[str, tuple[str, str]]:
        """Env name → (Secret name, key) for every variable filled from a Secret."""
        return {
            e["name"]: (
                e["valueFrom"]["secretKeyRef"]["name"],
                e["valueFrom"]["secretKeyRef"]["key"],
            )
            for e in self.container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        }

    def localise(
        self, workdir: Path, scratch: Path, config_maps: Mapping[str, Mapping[str, str]]
    ) -> tuple[list[str], dict[str, str]]:
        """The container's args and env as they run here: each mount a folder under `scratch`.

        ConfigMap volumes are folders holding the `config_maps[name]` files; every other volume
        an empty folder. Returns (args, env): env has the pod's variables (Secret keys as
        SECRET_STAND_IN) and the image's, with paths moved the same way.
        """
        moves = {WORKDIR: str(workdir)}
        for mount_path, volume in self.mounts().items():
            local = scratch / mount_path.strip("/").replace("/", "-")
            local.mkdir(parents=True, exist_ok=True)
            if "configMap" in volume:
                for key, text in config_maps[volume["configMap"]["name"]].items():
                    (local / key).write_text(text, encoding="utf-8")
            moves[mount_path] = str(local)
        env = {**image_env()}
        for variable in self.container.get("env", []):
            env[variable["name"]] = variable.get("value", SECRET_STAND_IN)
        return [move(a, moves) for a in self.args], {k: move(v, moves) for k, v in env.items()}


def move(value: str, moves: Mapping[str, str]) -> str:
    """`value` with the longest mount path it is, or is under, replaced by its local folder."""
    for mount_path in sorted(moves, key=len, reverse=True):
        if value == mount_path or value.startswith(mount_path.rstrip("/") + "/"):
            return moves[mount_path] + value[len(mount_path) :]
    return value


def workloads() -> Iterator[tuple[str, Workload]]:
    for _, document in documents():
        if document["kind"] in ("Deployment", "Job", "CronJob"):
            yield document["metadata"]["name"], Workload(document)


def workload(name: str) -> Workload:
    return dict(workloads())[name]


def replace_flag(argv: Sequence[str], flag: str, value: str) -> list[str]:
    """`argv` with the value of `flag` (which it must have, once) replaced by `value`."""
    assert list(argv).count(flag) == 1, (flag, argv)
    changed = list(argv)
    changed[changed.index(flag) + 1] = value
    return changed


def flag(argv: Sequence[str], name: str) -> str:
    assert list(argv).count(name) == 1, (name, argv)
    return argv[list(argv).index(name) + 1]


def config_map_files() -> dict[str, dict[str, str]]:
    return {c["metadata"]["name"]: dict(c["data"]) for c in resources("ConfigMap")}


# --- the Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    lines: list[str] = []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        if lines and lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1].rstrip() + " " + line.strip()
        elif line.strip():
            lines.append(line.strip())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def dockerfile(instruction: str) -> list[str]:
    return [arguments for name, arguments in dockerfile_instructions() if name == instruction]


def image_env() -> dict[str, str]:
    """The image's ENV (`ENV A=1 B=2` form)."""
    env: dict[str, str] = {}
    for arguments in dockerfile("ENV"):
        for word in shlex.split(arguments):
            name, value = word.split("=", 1)
            env[name] = value
    return env


def image_uid() -> int:
    """The uid of the Dockerfile's `USER uid:gid`."""
    (user,) = dockerfile("USER")
    match = re.fullmatch(r"(\d+):(\d+)", user)
    assert match, f"USER should be a numeric uid:gid (Kubernetes' runAsNonRoot checks it): {user}"
    return int(match[1])
