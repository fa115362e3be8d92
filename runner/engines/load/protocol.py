"""The messages journey adds to Locust's master/worker protocol, and the spec they carry.

Workers start knowing nothing but the master's address: the master sends every journey file,
data file and the profile as text, the target, the `${ENV}` values the journeys read, and the
worker's index among its peers (so `unique` data rows are split, never shared). Secrets
therefore travel over Locust's channel: run workers on a network you trust, as Locust's own
documentation says of its protocol.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from runner.spec.loader import LoadedJourney, load_journeys
from runner.spec.loadprofile import LoadProfile
from runner.spec.target import Target

HELLO = "journey:hello"  # worker → master, once it listens: send me the spec
SPEC = "journey:spec"  # master → worker, in answer to hello
READY = "journey:ready"  # worker → master: user classes built
FAILED = "journey:failed"  # worker → master: the spec would not load there
RATE = "journey:rate"  # master → workers: open-model arrivals per second, per worker
DATA = "journey:data"  # worker → master: per-second tallies, every second
# master → workers, when the run ends: start nothing new, give what is under way `grace_s`,
# cut off the rest, send the final data; `why` says how the run ended, for the cut-off reason
FINISH = "journey:finish"


def spec_message(
    journeys: list[LoadedJourney],
    profile: LoadProfile,
    target: Target,
    worker_index: int,
    worker_count: int,
) -> dict[str, Any]:
    """Everything a worker needs, as plain data, files relative to a common root."""
    paths = [Path(journey.path).resolve() for journey in journeys]
    root = Path(os.path.commonpath([p.parent for p in paths]))
    files: dict[str, str] = {}
    for journey, path in zip(journeys, paths, strict=True):
        files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
        for feeder in journey.spec.data.values():
            data_path = (path.parent / feeder.csv).resolve()
            files[data_path.relative_to(root).as_posix()] = data_path.read_text(encoding="utf-8")
    env_names = {name for journey in journeys for name in journey.env_refs} | target.env_refs()
    return {
        "files": files,
        "journeys": [p.relative_to(root).as_posix() for p in paths],
        "profile": profile.model_dump(mode="json", by_alias=True),
        "target": {k: v for k, v in asdict(target).items() if k != "origins"},
        "env": {name: os.environ[name] for name in env_names if name in os.environ},
        "worker_index": worker_index,
        "worker_count": worker_count,
    }


def load_spec_message(
    data: dict[str, Any], folder: Path
) -> tuple[list[LoadedJourney], LoadProfile, Target]:
    """Rebuild the spec on a worker, in `folder`. Raises SpecError if it does not load here."""
    for relative, text in data["files"].items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    os.environ.update(data["env"])
    journeys = load_journeys([str(folder / relative) for relative in data["journeys"]])
    index, count = int(data["worker_index"]), max(int(data["worker_count"]), 1)
    for journey in journeys:
        for feeder in journey.feeders.values():
            if feeder.pick == "unique":  # each worker its own share: no row is used twice
                feeder.rows = feeder.rows[index::count]
    profile = LoadProfile.model_validate(data["profile"])
    target = Target(**data["target"])
    return journeys, profile, target


def scratch_folder() -> Path:
    """A folder for the spec's files on a worker, removed when the process ends."""
    folder = tempfile.TemporaryDirectory(prefix="journey-worker-")
    _KEEP.append(folder)
    return Path(folder.name)


_KEEP: list[tempfile.TemporaryDirectory[str]] = []
