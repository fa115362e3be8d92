"""The image, emulated outside Docker: the Dockerfile's COPY and RUN lines done into a folder.

There is no Docker engine where the tests run, so `built_image` reads the Dockerfile and does
what it says into a temporary root: each COPY copies what it names (less .dockerignore's
`__pycache__`), and each RUN command is done when it concerns our package, by the table in
`_run`. Every other RUN command must be one the table names as the system's (Debian's
packages, the user), so a new line in the Dockerfile fails here until a test covers it. The
package is installed with the Dockerfile's own `pip install` line, plus `--no-deps --target`:
its dependencies are the venv's (the test must not install into it, nor download them), and
it lands in a folder of its own, which PYTHONPATH puts before the venv's editable copy.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.kube import ROOT, dockerfile_instructions

# RUN commands about the system, not our package: what Docker does and these tests cannot
SYSTEM_COMMANDS = {"apt-get", "groupadd", "useradd"}


@dataclass(frozen=True)
class Image:
    """The emulated image: its root folder, the installed package and its console script."""

    root: Path
    site: Path

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def workdir(self) -> Path:
        (workdir,) = {a for n, a in dockerfile_instructions() if n == "WORKDIR"}
        return self.path(workdir)

    @property
    def journey(self) -> Path:
        """The console script pip made, as the ENTRYPOINT's `journey`."""
        return self.site / "bin" / "journey"

    def environ(self, env: Mapping[str, str]) -> dict[str, str]:
        """This machine's environment, with the installed copy first on the path, and `env`."""
        return {**os.environ, "PYTHONPATH": str(self.site), **env}

    def run(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, timeout_s: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """`journey ARGV` (the ENTRYPOINT's command) in WORKDIR; output captured."""
        return subprocess.run(
            [str(self.journey), *argv],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=self.environ(env or {}),
            cwd=self.workdir,
        )


@pytest.fixture(scope="session")
def built_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    """The Dockerfile's COPY and RUN lines done into a temporary root (~3 s: pip builds)."""
    image = Image(tmp_path_factory.mktemp("image-root"), tmp_path_factory.mktemp("site"))
    workdir = "/"
    for instruction, arguments in dockerfile_instructions():
        if instruction == "WORKDIR":
            workdir = arguments
            image.path(workdir).mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            *sources, destination = shlex.split(arguments)
            _copy(image, sources, os.path.join(workdir, destination))
        elif instruction == "RUN":
            for command in arguments.split("&&"):
                _run(image, shlex.split(command))
    yield image


def _copy(image: Image, sources: list[str], destination: str) -> None:
    target = image.path(destination)
    into_folder = destination.endswith("/") or len(sources) > 1
    for source in sources:
        origin = ROOT / source
        place = target / origin.name if into_folder else target
        place.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, place, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, place)


def _run(image: Image, words: list[str]) -> None:
    name = words[0]
    if name in SYSTEM_COMMANDS:
        return
    if words[:2] == ["pip", "install"]:
        flags = [w for w in words[2:] if w.startswith("-")]
        (source,) = [w for w in words[2:] if not w.startswith("-")]
        command = [sys.executable, "-m", "pip", "install", "--quiet", *flags]
        command += ["--no-deps", "--target", str(image.site), str(image.path(source))]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    elif words[:2] == ["rm", "-rf"]:  # as rm -rf: what is not there is no error
        for path in words[2:]:
            for found in image.root.glob(path.lstrip("/")):
                if found.is_dir() and not found.is_symlink():
                    shutil.rmtree(found)
                else:
                    found.unlink()
    elif words[:2] == ["install", "-d"]:  # owner and mode are Docker's: folders only here
        for path in [w for w in words[2:] if w.startswith("/")]:
            image.path(path).mkdir(parents=True, exist_ok=True)
    elif words[:2] == ["ln", "-s"]:
        target, link = words[2:]
        image.path(link).symlink_to(image.path(target), target_is_directory=True)
    else:
        pytest.fail(f"the Dockerfile runs {' '.join(words)!r}: teach tests/deploy/conftest.py it")
