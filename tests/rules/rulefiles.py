"""Running `journey rules` in the test's process, as the command line would, and promtool."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from runner.arguments import parse
from runner.commands.rules import rules_command

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "journeys"


def rules_text(*words: str) -> tuple[str, str]:
    """What `journey rules WORDS...` writes on stdout and on stderr."""
    out, err = io.StringIO(), io.StringIO()
    rules_command(parse(["rules", *words]), out=out, err=err)
    return out.getvalue(), err.getvalue()


def write_rules(path: Path, *words: str) -> Path:
    """`journey rules WORDS... --out PATH`; returns `path`."""
    rules_text(*words, "--out", str(path), "--quiet")
    return path


def promtool(*words: str | Path) -> subprocess.CompletedProcess[str]:
    """promtool WORDS..., its output kept (Debian's prometheus package ships it)."""
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool not found: `make test` installs it (apt-get install prometheus)")
    return subprocess.run(
        [binary, *map(str, words)], capture_output=True, text=True, timeout=120, check=False
    )
