"""The Dockerfile and manifests, checked by reading (no Docker engine here): what they copy
exists, what they run is a real command of ours."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_dockerfile_copies_what_exists_and_runs_the_journey_command() -> None:
    text = (ROOT / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", text, re.MULTILINE):
        *sources, _ = line.split()
        for source in sources:
            assert (ROOT / source).exists(), source
    assert '"journey"]' in text  # the entrypoint: the console script pyproject declares
    assert 'journey = "runner.cli:main"' in (ROOT / "pyproject.toml").read_text()


def test_every_manifest_runs_commands_the_cli_accepts() -> None:
    checked = []
    for path in (ROOT / "deploy" / "kubernetes").glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            text = str(document)
            for args in re.findall(r"'args': (\[[^\]]*\])", text):
                argv = [a.strip(" '") for a in args.strip("[]").split(",")]
                command = argv[0]
                done = subprocess.run(
                    [sys.executable, "-m", "runner", command, "--help"],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    cwd=ROOT,
                )
                assert done.returncode == 0, (path, command, done.stderr)
                flags = [a for a in argv if a.startswith("--")]
                for flag in flags:
                    assert flag in done.stdout, (path, flag)
                checked.append(command)
    assert sorted(checked) == ["load", "run", "serve", "worker"]
