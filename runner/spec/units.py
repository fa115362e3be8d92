"""Durations and ratios as users write them (`1500ms`, `4s`, `2m`, `99.5%`), as plain floats.

Durations become float seconds and ratios floats in 0..1 here, at the spec boundary, so no
engine or output ever parses a unit again.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_RATIO = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(%)?\s*")


def parse_duration(value: object) -> float:
    """Return seconds for `"1500ms"`, `"4s"`, `"2m"`, `"1h"`, `"30d"`, or a bare number of seconds.

    Raises ValueError with a user-facing message for anything else, negatives included.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 500ms, 4s or 2m, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value)):
        seconds = float(match.group(1)) * _UNIT_S[match.group(2)]
    else:
        raise ValueError(f"expected a duration such as 500ms, 4s or 2m, got {_cut(value)}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"expected a non-negative duration, got {_cut(value)}")
    # to the nanosecond: 700ms is 0.7, not 0.7000000000000001, so that a histogram's bound at
    # the threshold reads le="0.7", the bucket a rule written from the journey file selects
    return round(seconds, 9)


def parse_ratio(value: object) -> float:
    """Return a ratio in 0..1 for `"99.5%"`, `0.995` or `"0.995"`.

    A bare number above 1 is rejected rather than guessed to be a percentage.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a percentage such as 99.5%, got {value!r}")
    if isinstance(value, int | float):
        ratio = float(value)
    elif isinstance(value, str) and (match := _RATIO.fullmatch(value)):
        ratio = float(match.group(1)) / (100.0 if match.group(2) else 1.0)
    else:
        raise ValueError(f"expected a percentage such as 99.5%, got {_cut(value)}")
    if not (math.isfinite(ratio) and 0.0 <= ratio <= 1.0):
        raise ValueError(f"expected a percentage between 0% and 100%, got {_cut(value)}")
    return ratio


def _cut(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


Duration = Annotated[float, BeforeValidator(parse_duration)]
Ratio = Annotated[float, BeforeValidator(parse_ratio)]
