from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runner.demoshop.faults import (
    FaultSettings,
    parse_duration,
    parse_fault_spec,
    parse_fault_specs,
    parse_fault_value,
    parse_ratio,
)
from runner.demoshop.server import serve


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("800ms", 0.8), ("2s", 2.0), ("1.5s", 1.5), ("1m", 60.0), ("0", 0.0), ("0.25", 0.25)],
)
def test_durations_are_read_in_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(("text", "ratio"), [("20%", 0.2), ("0.2", 0.2), ("100%", 1.0), ("1", 1)])
def test_ratios_accept_percentages_and_fractions(text: str, ratio: float) -> None:
    assert parse_ratio(text) == pytest.approx(ratio)


def test_fault_specs_merge_per_group() -> None:
    settings = parse_fault_specs(
        ["checkout:latency=800ms", "search:errors=20%", "checkout:errors=1"]
    )
    assert settings["checkout"] == FaultSettings(latency_s=0.8, error_ratio=1.0)
    assert settings["search"] == FaultSettings(error_ratio=0.2)
    assert settings["pages"] == FaultSettings()
    assert parse_fault_spec("pos:lag=10s") == ("pos", "lag", 10.0)


def test_stall_is_read_as_a_duration_beside_the_other_kinds() -> None:
    assert parse_fault_spec("search:stall=30s") == ("search", "stall", 30.0)
    settings = parse_fault_specs(["search:stall=30s", "search:latency=200ms", "cart:stall=1.5"])
    assert settings["search"] == FaultSettings(latency_s=0.2, stall_s=30.0)
    assert settings["cart"].to_json() == {"latency": 0.0, "errors": 0.0, "lag": 0.0, "stall": 1.5}
    assert parse_fault_value("stall", 2) == 2.0


@pytest.mark.parametrize(
    "spec",
    [
        "nonsense",
        "checkout:latency",
        "basket:latency=1s",
        "checkout:slowness=1s",
        "checkout:latency=fast",
        "checkout:latency=-1s",
        "search:errors=120%",
        "search:errors=2",
        "search:stall=",
        "search:stall=forever",
        "search:stall=-1s",
        "search:stall=30 seconds",
        "search:stal=30s",
    ],
)
def test_malformed_fault_raises_one_line_value_error_naming_it(spec: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid fault ") as caught:
        parse_fault_specs(["pages:latency=1s", spec])
    assert repr(spec) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_serve_rejects_a_malformed_fault_before_starting() -> None:
    with pytest.raises(ValueError, match="invalid fault 'nonsense'"):
        serve(host="127.0.0.1", port=1, db=None, workers=1, faults=["nonsense"])


@given(st.integers(0, 10**6), st.integers(0, 999), st.sampled_from(["ms", "s", "m", ""]))
def test_formatted_durations_read_back(whole: int, thousandths: int, unit: str) -> None:
    scale = {"ms": 0.001, "s": 1, "m": 60, "": 1}[unit]
    expected = (whole + thousandths / 1000) * scale
    assert parse_duration(f"{whole}.{thousandths:03d}{unit}") == pytest.approx(expected)


@given(st.text(max_size=30))
def test_any_fault_text_parses_or_raises_value_error(text: str) -> None:
    try:
        parse_fault_specs([text])
    except ValueError as exc:
        assert str(exc).startswith("invalid fault ")


@pytest.mark.parametrize("value", [-1, float("inf"), float("nan"), True, None, "later"])
def test_a_stall_that_is_not_non_negative_seconds_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"stall|duration"):
        parse_fault_value("stall", value)
