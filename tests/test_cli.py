"""The command line as the report's "About this run" shows it, and the evidence flags' parsing."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from runner.cli import build_parser, command_line


def test_the_command_line_is_relative_to_the_working_folder_and_masks_url_passwords() -> None:
    cwd = Path("/home/ci/shop")
    words = [
        "run", "/home/ci/shop/journeys/checkout.yaml", "/etc/elsewhere.yaml",
        "--target", "https://probe:s3cret@staging.shop.example/en-gb",
        "--out", "/home/ci/shop", "--tag", "two words",
    ]  # fmt: skip
    assert command_line(words, cwd) == (
        "journey run journeys/checkout.yaml /etc/elsewhere.yaml "
        "--target 'https://***@staging.shop.example/en-gb' --out . --tag 'two words'"
    )


@pytest.mark.parametrize(("given", "level"), [("95%", 0.95), ("99.9%", 0.999), ("0.9", 0.9)])
def test_confidence_takes_a_percentage_or_a_ratio(given: str, level: float) -> None:
    args = build_parser().parse_args(["run", "j.yaml", "--target", "x", "--confidence", given])
    assert args.confidence == pytest.approx(level) and args.require_evidence is False


@pytest.mark.parametrize("given", ["100%", "1", "40%", "high", "-0.5"])
def test_a_confidence_outside_50_to_100_percent_is_refused(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", "j.yaml", "--target", "x", "--confidence", given])
    assert stopped.value.code == 2
    assert "expected a level such as 95% or 0.99" in capsys.readouterr().err


def test_both_run_and_load_take_the_evidence_flags() -> None:
    for command in (["run", "j.yaml"], ["load", "smoke"]):
        args = build_parser().parse_args([*command, "--target", "x", "--require-evidence"])
        assert isinstance(args, argparse.Namespace) and args.require_evidence is True
