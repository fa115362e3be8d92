"""Load profiles: the shipped ones load, the docs match the models, bad input is placed."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from runner.engines.load.timeline import plan_stages, stage_at
from runner.spec import load_journeys
from runner.spec.loadprofile import (
    AbortIf,
    LoadProfile,
    LoadSlo,
    Stage,
    ThinkTime,
    check_against_journeys,
    load_profile,
    parse_rate,
)
from tests.test_docs import documented_keys, yaml_keys

ROOT = Path(__file__).resolve().parent.parent.parent

PROFILES = sorted((ROOT / "loadprofiles").glob("*.yaml"))
REFERENCE = ROOT / "docs" / "load-profiles.md"
MODELS: list[type[BaseModel]] = [LoadProfile, Stage, ThinkTime, AbortIf, LoadSlo]
PROBLEM_LINE = re.compile(r"[^:\n]+:\d+:\d+: [^\n]+: [^\n]+")
SHIPPED = {"smoke", "flash-sale", "black-friday", "store-open-pos-sync", "month-end-export", "soak"}


def test_every_documented_profile_is_shipped() -> None:
    assert {path.stem for path in PROFILES} >= SHIPPED


@pytest.mark.parametrize("path", PROFILES, ids=lambda path: path.stem)
def test_shipped_profile_loads_and_names_existing_journeys(path: Path) -> None:
    profile = load_profile(path)
    journeys = load_journeys([str(ROOT / "journeys")])
    check_against_journeys(
        profile,
        str(path),
        {j.name for j in journeys if j.spec.http},
        {j.name for j in journeys if j.spec.browser},
    )
    assert profile.profile == path.stem


@pytest.mark.parametrize("path", PROFILES, ids=lambda path: path.stem)
def test_shipped_profile_plays_in_minutes_at_the_documented_scale(path: Path) -> None:
    # every shipped profile is rehearsed against the demo shop at --time-scale 0.05
    profile = load_profile(path)
    assert profile.duration_s(0.05) <= 6 * 60
    plans = plan_stages(profile, 0.05)
    assert plans[-1].end_s == pytest.approx(profile.duration_s(0.05))


# -- the docs -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_docs_table_lists_every_key_of_the_model_and_nothing_else(model: type[BaseModel]) -> None:
    documented = documented_keys(model, REFERENCE)
    assert sorted(documented) == sorted(yaml_keys(model))
    assert len(documented) == len(set(documented)), "a key is documented twice"


def test_docs_example_is_the_shipped_flash_sale() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    shipped = (ROOT / "loadprofiles" / "flash-sale.yaml").read_text(encoding="utf-8")
    assert f"```yaml\n{shipped}```" in text


# -- bad input ------------------------------------------------------------------------------

VALID = """\
profile: bad
stages:
  - {duration: 1m, users: 5, ramp: 10s}
mix: {search: 1}
think_time: {min: 1s, max: 2s}
"""

# (id, text replaced, replacement, expected line, expected column, fragment of the message)
CASES = [
    (
        "unknown key",
        "think_time:",
        "think_tme:",
        5,
        1,
        "think_tme: unknown key 'think_tme' (did you mean 'think_time'?)",
    ),
    (
        "users and rate",
        "users: 5,",
        "users: 5, rate: 2/s,",
        3,
        5,
        "stages[0]: expected exactly one of users, rate",
    ),
    (
        "mixed models",
        "  - {duration: 1m, users: 5, ramp: 10s}",
        "  - {duration: 1m, users: 5, ramp: 10s}\n  - {duration: 1m, rate: 5/s}",
        1,
        1,
        "stages must all be in users or all in rate, not both",
    ),
    (
        "ramp longer than duration",
        "ramp: 10s",
        "ramp: 2m",
        3,
        5,
        "stages[0]: ramp must not be longer than the stage's duration",
    ),
    (
        "bad rate",
        "users: 5",
        "rate: 20/day",
        3,
        26,
        "stages[0].rate: expected a rate such as 20/s or 1200/m, got '20/day'",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_profile_gives_one_placed_problem_line_and_exit_2(
    tmp_path: Path, old: str, new: str, line: int, column: int, message: str
) -> None:
    assert old in VALID
    path = tmp_path / "bad.yaml"
    path.write_text(VALID.replace(old, new, 1), encoding="utf-8")
    # port 9 (discard) is never served: validation must answer before anything is sent
    command = [sys.executable, "-m", "runner", "load", str(path), "--target", "http://127.0.0.1:9"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert PROBLEM_LINE.fullmatch(lines[0])
    assert lines[0].startswith(f"{path}:{line}:{column}: ")
    assert message in lines[0]
    assert done.stdout == ""


def test_the_valid_base_profile_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(VALID, encoding="utf-8")
    assert load_profile(path).stages[0].ramp == 10.0


# -- rates ----------------------------------------------------------------------------------

rate_like = st.from_regex(r"\A\s?[0-9]{0,4}(\.[0-9]{0,3})?\s?/?\s?[smhd]?\s?\Z")
anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.text(max_size=12),
    rate_like,
    st.lists(st.integers(), max_size=2),
)


@given(anything)
def test_parse_rate_raises_only_value_errors_and_returns_non_negative_floats(value: object) -> None:
    try:
        rate = parse_rate(value)
    except ValueError:
        return
    assert isinstance(rate, float)
    assert not math.isnan(rate)
    assert rate >= 0


def test_rates_parse_as_documented() -> None:
    assert parse_rate("20/s") == 20.0
    assert parse_rate("1200/m") == 20.0
    assert parse_rate("5400/h") == 1.5
    assert parse_rate(" 2.5 / s ") == 2.5
    assert parse_rate(7) == 7.0
    assert parse_rate(0) == 0.0
    for bad in ("20/day", "-1/s", -1, True, "", "20", None, float("nan")):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_parse_rate_of_an_integer_beyond_float_range_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_rate(10**400)


def test_parse_rate_rejects_an_infinite_rate() -> None:
    with pytest.raises(ValueError):
        parse_rate(float("inf"))


# -- the timeline ---------------------------------------------------------------------------


def profile_of(*stages: dict[str, object]) -> LoadProfile:
    return LoadProfile.model_validate({"profile": "t", "stages": list(stages), "mix": {"x": 1}})


def test_stages_ramp_linearly_from_the_previous_target_then_hold() -> None:
    profile = profile_of(
        {"duration": "60s", "users": 10, "ramp": "20s"},
        {"duration": "100s", "users": 50, "ramp": "40s"},
        {"duration": "30s", "users": 50},
        {"duration": "10s", "users": 0, "ramp": "10s"},
    )
    warm, peak, hold, cool = plan_stages(profile)
    assert (warm.start_s, warm.ramp_end_s, warm.end_s) == (0, 20, 60)
    assert [warm.value_at(t) for t in (0, 5, 10, 20, 59)] == [0, 2.5, 5, 10, 10]
    assert (peak.start_s, peak.ramp_end_s, peak.end_s) == (60, 100, 160)
    assert [peak.value_at(t) for t in (60, 70, 80, 100, 159)] == [10, 20, 30, 50, 50]
    assert hold.from_target == hold.target == 50
    assert hold.value_at(170) == 50
    assert cool.value_at(195) == 25
    assert [plan.name for plan in (warm, hold)] == ["ramp to 10 users", "hold 50 users"]


def test_a_spike_without_ramp_is_at_its_target_at_once() -> None:
    profile = profile_of({"duration": "10s", "rate": "5/s"}, {"duration": "10s", "rate": "1200/m"})
    base, spike = plan_stages(profile)
    assert spike.unit == "iterations/s"
    assert spike.value_at(10.0) == 20.0
    assert base.value_at(0.0) == 5.0
    assert spike.judged(10.0, exclude_ramp=True)


def test_judged_leaves_out_ramps_and_cool_downs_to_zero_only_when_excluding() -> None:
    profile = profile_of(
        {"duration": "60s", "users": 10, "ramp": "20s"},
        {"duration": "20s", "users": 0, "ramp": "5s"},
    )
    warm, cool = plan_stages(profile)
    assert not warm.judged(10, exclude_ramp=True)
    assert warm.judged(20, exclude_ramp=True)
    assert warm.judged(10, exclude_ramp=False)
    assert not cool.judged(70, exclude_ramp=True)  # held at 0: nothing to judge
    assert cool.judged(70, exclude_ramp=False)


def test_time_scale_shrinks_every_stage_and_ramp() -> None:
    profile = profile_of(
        {"duration": "2m", "users": 12, "ramp": "1m"},
        {"duration": "10m", "users": 60, "ramp": "30s"},
    )
    warm, peak = plan_stages(profile, time_scale=0.05)
    assert (warm.ramp_end_s, warm.end_s) == pytest.approx((3.0, 6.0))
    assert (peak.start_s, peak.ramp_end_s, peak.end_s) == pytest.approx((6.0, 7.5, 36.0))
    assert peak.value_at(6.75) == pytest.approx(36.0)
    assert stage_at([warm, peak], 5.9) is warm
    assert stage_at([warm, peak], 36.0) is None
    assert profile.duration_s(0.05) == pytest.approx(36.0)
