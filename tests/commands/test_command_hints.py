"""A command refused before it runs says what to change: the flag that sets what is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_missing_journeys_folder_names_the_flag_that_sets_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runner", "load", "smoke", "--target", "http://127.0.0.1:9"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "--journeys:1:1: journeys: no journeys folder 'journeys' (from the current folder); "
        "--journeys DIR sets it"
    ]
    assert not (tmp_path / "reports").exists()
