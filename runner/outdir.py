"""Where a run's outputs land: `--out DIR`, or `reports/<UTC timestamp>-<command>/`.

`reports/latest` is a relative symlink to the newest default folder, so scripts and people
find the last report without knowing its timestamp. The folder is planned when a command
starts but made only when something is first written into it, and `latest` moves only once
the outputs are written: a command that fails before running anything (exit 2: bad flags, no
browser, a bad journey) leaves no empty folder behind, and `latest` still points at the last
report that exists.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPORTS = Path("reports")


@dataclass(frozen=True, slots=True)
class OutDir:
    """A planned output folder: `path` exists only once `create()` (or a writer) made it."""

    path: Path
    default: bool  # a timestamped folder under reports/: `latest` follows it

    def create(self) -> Path:
        """Make the folder (and its parents) if it is not there yet; return its path.

        Raises OSError when it cannot be made.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        return self.path

    def publish(self) -> None:
        """Point `reports/latest` at this folder, once its outputs are written.

        Atomic: readers see the old or the new run, never none. Nothing to do for `--out`.
        """
        if not self.default:
            return
        parent = self.path.parent
        latest = parent / "latest"
        temporary = parent / f".latest-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.symlink_to(self.path.name, target_is_directory=True)
        temporary.replace(latest)


def plan_out_dir(out: str | None, command: str) -> OutDir:
    """The folder for `command`: `out` if given, else a new timestamped one. Makes nothing."""
    if out:
        return OutDir(Path(out), default=False)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return OutDir(REPORTS / f"{stamp}-{command}", default=True)
