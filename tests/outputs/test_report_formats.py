"""The report's number formats: one unit per table, three significant digits, never an exponent."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from runner.outputs.charts import format_share, format_time, format_time_in, time_unit

PLAIN = re.compile(r"0|[1-9]\d*(\.\d+)?|0\.\d*[1-9]")
SECONDS = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False, allow_infinity=False)


@given(st.lists(SECONDS, min_size=1, max_size=20))
def test_a_table_s_times_share_one_unit_and_read_back_to_three_digits(values: list[float]) -> None:
    unit = time_unit(values)

    assert unit == ("ms" if max(values) < 1 else "s")
    for value in values:
        text = format_time(value, unit)
        assert PLAIN.fullmatch(text), text  # no exponent, no trailing zeros
        scaled = value * 1000 if unit == "ms" else value
        assert abs(float(text) - scaled) <= max(scaled * 0.005, 10**-6)


def test_no_data_is_a_dash_and_units_are_said_once() -> None:
    assert format_time(None, "s") == format_time_in(None, "ms") == "—"
    assert format_time_in(0.23, "s") == "0.23 s"
    assert format_time_in(0.23, "ms") == "230 ms"
    assert format_time(2.0, "s") == "2"
    assert time_unit([None, 0.999]) == "ms"
    assert time_unit([]) == "ms"


def test_shares_read_as_people_write_percentages() -> None:
    assert [format_share(v) for v in (0.631597, 0.005, 0.0001, 1.0, 0.0)] == [
        "63.2 %",
        "0.5 %",
        "0.01 %",
        "100 %",
        "0 %",
    ]
