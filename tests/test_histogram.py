from __future__ import annotations

import random

import pytest
from ddsketch import DDSketch
from hypothesis import given
from hypothesis import strategies as st

from runner.histogram import RELATIVE_ACCURACY, Histogram


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


@pytest.mark.slow
@given(
    st.lists(
        st.floats(0, 1e6) | st.sampled_from([0.0, 5e-324, 1e-300, 0.01, 0.0100001]),
        min_size=1,
        max_size=300,
    ),
    st.integers(0, 300),
)
def test_counting_in_buckets_equals_adding_to_the_sketch_one_by_one(
    samples: list[float], read_at: int
) -> None:
    """`add` only counts a sample in its bucket; the sketch must end up exactly as DDSketch's own add."""
    histogram, reference = Histogram(), DDSketch(relative_accuracy=RELATIVE_ACCURACY)
    for index, sample in enumerate(samples):
        histogram.add(sample)
        reference.add(sample)
        if index == read_at:
            histogram.quantile(0.5)  # a read in the middle folds what is pending
    encoded = Histogram.from_wire(histogram.to_wire())
    assert histogram.count == reference.count == encoded.count
    # the same samples summed in another order: equal but for float rounding
    assert histogram.mean == pytest.approx(reference.sum / reference.count, rel=1e-12)
    for q in (0.0, 0.25, 0.5, 0.9, 0.99, 1.0):
        expected = reference.get_quantile_value(q)
        assert expected is not None
        assert histogram.quantile(q) == min(max(expected, min(samples)), max(samples))
        # the wire carries the mapping's gamma as a float: the last digits may move
        assert encoded.quantile(q) == pytest.approx(histogram.quantile(q), rel=1e-12)
