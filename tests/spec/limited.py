"""`journey validate FILE` in a child process held to the limits hostile input must respect.

Shared by the hostile-YAML and hostile-template corpora: the address space capped at 512 MiB
(RLIMIT_AS) and the CPU time at 2 s (RLIMIT_CPU, Python's start-up included), under a generous
wall-clock timeout for a busy CI machine. The promise: exit 2 and exactly one
`file:line:col: field: message` line naming the file and containing `expected`; no traceback.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PROBLEM_LINE = re.compile(r"^[^:]+:\d+:\d+: .+: .+$")
MEMORY_BYTES = 512 * 1024 * 1024
CPU_SECONDS = 2
WALL_SECONDS = 30


def limits() -> None:  # runs in the child, between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def validate_limited(path: Path, expected: str | None) -> str | None:
    """Validate `path` (as given) in a limited process; None if refused as promised, else why."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "runner", "validate", str(path)],
            capture_output=True,
            text=True,
            timeout=WALL_SECONDS,
            cwd=ROOT,
            preexec_fn=limits,  # only setrlimit runs in the child before exec
        )
    except subprocess.TimeoutExpired:
        return f"{path.name}: no verdict within {WALL_SECONDS}s"
    lines = done.stderr.splitlines()
    if done.returncode != 2:
        return f"{path.name}: exit {done.returncode}, stderr {done.stderr[-300:]!r}"
    if "Traceback" in done.stderr or len(lines) != 1:
        return f"{path.name}: expected one line, got {done.stderr[-300:]!r}"
    line = lines[0]
    if not PROBLEM_LINE.match(line) or not line.startswith(f"{path}:"):
        return f"{path.name}: not a placed problem line naming the file: {line[:200]!r}"
    if expected is not None and expected not in line:
        return f"{path.name}: expected {expected!r} in {line[:300]!r}"
    return None
