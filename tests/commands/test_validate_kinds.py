"""`journey validate` tells journeys, load profiles and targets files apart, as a reader would.

Each kind is recognised by its top-level key and checked against its own model, so a "did you
mean" only offers keys valid at that place of that kind of file; folders are searched without
their hidden folders and virtualenvs; an unknown shipped profile name lists the real ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli import main
from runner.spec.loadprofile import shipped_profile_names
from tests.conftest import ROOT

JOURNEY = "journey: probe\nhttp:\n  - name: home\n    request: {url: /}\n"
PROFILE = "profile: tiny\nstages:\n  - {duration: 10s, users: 1}\nmix: {probe: 1}\n"
TARGETS = "targets:\n  local: {base_url: 'http://127.0.0.1:8000'}\n"
BROKEN = "journey: [unclosed\n"


def _validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, str, list[str]]:
    with pytest.raises(SystemExit) as stop:
        main(["validate", *map(str, paths)])
    captured = capsys.readouterr()
    return int(stop.value.code or 0), captured.out, captured.err.splitlines()


def test_a_folder_of_each_kind_is_valid_and_its_hidden_folders_and_venvs_are_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "probe.yaml").write_text(JOURNEY)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "tiny.yml").write_text(PROFILE)
    (tmp_path / "targets.yaml").write_text(TARGETS)
    for skipped in (".venv", ".git/hooks", "env"):  # `env` is a virtualenv by its pyvenv.cfg
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "broken.yaml").write_text(BROKEN)
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    code, out, err = _validate(capsys, tmp_path)
    assert (code, err) == (0, [])
    assert out.strip() == "ok: 1 journey, 1 load profile, 1 targets file valid"
    # the same broken file outside a skipped folder is found: the skip is not blanket
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "broken.yaml").write_text(BROKEN)
    code, _, err = _validate(capsys, tmp_path)
    assert code == 2
    assert [line.split(":")[0] for line in err] == [str(tmp_path / "envs" / "broken.yaml")]


def test_the_shipped_load_profiles_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _validate(capsys, ROOT / "loadprofiles")
    assert (code, err) == (0, [])
    assert out.strip() == f"ok: {len(shipped_profile_names())} load profiles valid"


def test_a_misspelt_profile_key_gets_a_profile_key_and_never_a_journey_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        "profile: typo\n"
        "stagess:\n"
        "  - {duration: 10s, user: 1}\n"
        "mix: {probe: 1}\n"
        "timeot: 5s\n"  # a journey's `timeout`, not a profile key
        "duraton: 1m\n"  # a stage's `duration`, not valid at the top
    )
    code, _, err = _validate(capsys, path)
    assert code == 2
    by_key = {line.split(": ")[1]: line for line in err}
    assert "unknown key 'stagess' (did you mean 'stages'?)" in by_key["stagess"]
    assert by_key["timeot"].endswith("unknown key 'timeot'")
    assert by_key["duraton"].endswith("unknown key 'duraton'")
    assert by_key["stages"].endswith("missing required key 'stages'")


def test_a_misspelt_key_inside_a_stage_gets_a_stage_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stage.yaml"
    path.write_text(PROFILE.replace("users: 1", "usres: 1"))
    code, _, err = _validate(capsys, path)
    assert code == 2
    assert f"{path}:3:21: stages[0].usres: unknown key 'usres' (did you mean 'users'?)" in err


def test_journey_suggestions_come_from_the_place_of_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "probe.yaml"
    path.write_text(
        JOURNEY.replace("request: {url: /}", "request: {url: /, methd: GET}") + "exect: 1\n"
    )
    code, _, err = _validate(capsys, path)
    assert code == 2
    assert any(line.endswith("unknown key 'methd' (did you mean 'method'?)") for line in err)
    # `expect` is a step's key, not a journey's: nothing is suggested at the top
    assert any(line.endswith("exect: unknown key 'exect'") for line in err)


def test_a_targets_file_key_gets_a_target_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS.replace("base_url", "baseurl"))
    code, _, err = _validate(capsys, path)
    assert code == 2
    assert err == [
        f"{path}:2:11: targets.local.baseurl: unknown key 'baseurl' (did you mean 'base_url'?)"
    ]


def test_a_profile_without_its_name_is_still_judged_as_a_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nameless.yaml"
    path.write_text(PROFILE.replace("profile: tiny\n", ""))
    code, _, err = _validate(capsys, path)
    assert (code, err) == (2, [f"{path}:1:1: profile: missing required key 'profile'"])


def test_a_yaml_file_of_no_kind_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "deployment.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    misspelt = tmp_path / "misspelt.yaml"
    misspelt.write_text("jorney: x\n")
    code, _, err = _validate(capsys, manifest, misspelt)
    assert code == 2
    assert err == [
        f"{manifest}:1:1: (document): not a journey, load profile or targets file: expected "
        "a top-level journey:, profile: or targets: key",
        f"{misspelt}:1:1: (document): not a journey, load profile or targets file: expected "
        "a top-level journey:, profile: or targets: key (did you mean 'journey'?)",
    ]


def test_an_unknown_profile_name_lists_the_shipped_ones_and_the_nearest() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runner", "load", "flsh-sale", "--target", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("flsh-sale:1:1: profile: no profile file or shipped profile named")
    assert "did you mean 'flash-sale'?" in line
    assert line.endswith("shipped: " + ", ".join(shipped_profile_names()))
    assert "smoke" in shipped_profile_names()
