"""Where a run's outputs land: `--out DIR`, or `reports/<UTC timestamp>-<command>/`.

`reports/latest` is a relative symlink to the newest default folder, so scripts and people
find the last report without knowing its timestamp.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

REPORTS = Path("reports")


def prepare_out_dir(out: str | None, command: str) -> Path:
    """Create and return the output folder; point `reports/latest` at it when it is a default.

    Raises OSError when the folder cannot be created.
    """
    if out:
        path = Path(out)
        path.mkdir(parents=True, exist_ok=True)
        return path
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = REPORTS / f"{stamp}-{command}"
    path.mkdir(parents=True, exist_ok=False)
    latest = REPORTS / "latest"
    temporary = REPORTS / f".latest-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(path.name, target_is_directory=True)
    temporary.replace(latest)  # atomic: readers see the old or the new run, never none
    return path
