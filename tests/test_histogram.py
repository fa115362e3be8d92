from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from runner.histogram import Histogram


def exact(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))]


def test_an_empty_histogram_answers_none_not_zero() -> None:
    histogram = Histogram()
    assert histogram.count == 0
    assert histogram.summary() == dict.fromkeys(["p50", "p75", "p90", "p95", "p99", "max"])


def test_percentiles_are_within_one_percent_of_exact() -> None:
    rng = random.Random(7)
    samples = [rng.lognormvariate(-3, 1) for _ in range(50_000)]
    histogram = Histogram()
    for sample in samples:
        histogram.add(sample)
    for key, q in (("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)):
        value = histogram.value(key)
        assert value is not None
        assert abs(value - exact(samples, q)) <= 0.0101 * exact(samples, q), key
    assert histogram.max == max(samples)


@given(
    st.lists(st.floats(0, 100), min_size=1, max_size=200),
    st.lists(st.floats(0, 100), min_size=1, max_size=200),
)
def test_merging_equals_recording_everything_in_one(
    first: list[float], second: list[float]
) -> None:
    a, b, whole = Histogram(), Histogram(), Histogram()
    for value in first:
        a.add(value)
        whole.add(value)
    for value in second:
        b.add(value)
        whole.add(value)
    a.merge(b)
    assert a.count == whole.count
    assert a.summary() == whole.summary()
