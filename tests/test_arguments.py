"""The command line as pytest, Locust and k6 users expect it: strict, suggesting, documented."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from runner import __version__
from runner.arguments import TARGET_ENV, parse
from tests.conftest import ROOT


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line `journey argv` is refused with (exit 2)."""
    with pytest.raises(SystemExit) as stopped:
        parse(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    return err


def test_a_misspelt_flag_gets_the_nearest_one(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["run", "journeys/", "--taget", "http://127.0.0.1:1"], capsys)
    assert "--taget" in err and "did you mean --target?" in err


def test_flags_are_never_abbreviated(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["run", "journeys/", "--target", "x", "--rep", "1"], capsys)
    assert "unrecognized argument: --rep" in err


def test_bare_journey_lists_the_commands_and_exits_2() -> None:
    out = io.StringIO()
    with pytest.raises(SystemExit) as stopped:
        parse([], stdout=out)
    assert stopped.value.code == 2
    for command in ("validate", "run", "load", "worker", "report", "demo-shop"):
        assert f"    {command}" in out.getvalue()


def test_version_flag_prints_the_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runner", "-V"], cwd=ROOT, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"journey {__version__}")


def test_journey_target_is_the_default_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TARGET_ENV, "http://127.0.0.1:8123")
    assert parse(["run", "journeys/"]).target == "http://127.0.0.1:8123"
    assert parse(["run", "journeys/", "--target", "staging"]).target == "staging"


def test_without_journey_target_the_target_is_required(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(TARGET_ENV, raising=False)
    assert "--target" in refused(["run", "journeys/"], capsys)


@pytest.mark.parametrize("command", ["validate", "run", "load", "worker", "report", "demo-shop"])
def test_every_command_has_a_description_examples_and_the_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse([command, "--help"])
    assert stopped.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "exit codes:" in text and "130" in text
    for flag in ("--quiet", "--verbose", "--no-color"):
        assert flag in text
