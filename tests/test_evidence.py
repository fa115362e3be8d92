"""Evidence: the one-sided Clopper-Pearson bound, checked against SciPy's beta distribution."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import beta

from runner.slo.evidence import Share, evidence, samples_needed, upper_bound


def test_the_figures_the_issue_quotes() -> None:
    # 0.05 ** (1/598) = 0.99500: 598 runs without a failure show 99.5 % at 95 %
    assert samples_needed(0, 0.005, 0.95) == 598
    assert samples_needed(0, 0.05, 0.95) == 59  # p95 ≤ T
    assert samples_needed(0, 0.01, 0.95) == 299  # p99 ≤ T
    assert samples_needed(0, 0.0, 0.95) is None  # 100 %: no count shows it


@given(
    st.integers(min_value=1, max_value=5000),
    st.data(),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_the_bound_is_the_beta_quantile(samples: int, data: st.DataObject, level: float) -> None:
    bad = data.draw(st.integers(min_value=0, max_value=samples - 1))
    expected = beta.ppf(level, bad + 1, samples - bad)
    assert math.isclose(upper_bound(bad, samples, level), expected, rel_tol=1e-9, abs_tol=1e-12)


@given(st.integers(min_value=0, max_value=20), st.sampled_from([0.005, 0.01, 0.05, 0.1]))
def test_needed_is_the_fewest_samples_whose_bound_clears(bad: int, allowed: float) -> None:
    needed = samples_needed(bad, allowed, 0.95)
    assert needed is not None
    assert upper_bound(bad, needed, 0.95) <= allowed < upper_bound(bad, needed - 1, 0.95)


def test_met_not_shown_says_how_many_would_show_it() -> None:
    proof = evidence(Share(3, 0, 0.005), 0.95, claim="≥ 99.5 %")
    assert not proof.shown and proof.needed == 598
    assert proof.note == "3 runs; 598 needed with no failure to show ≥ 99.5 %"
    latency = evidence(Share(10, 0, 0.05), 0.95, claim="p95 ≤ 2 s", above="above 2 s")
    assert (
        latency.note == "10 samples; p95 ≤ 2 s: a bound needs ≥ 59 samples, more with any above 2 s"
    )
    shown = evidence(Share(1000, 0, 0.005), 0.95, claim="≥ 99.5 %")
    assert shown.shown and shown.needed is None and shown.bound is not None
    assert shown.bound <= 0.005
    outside = evidence(Share(100, 9, 0.05), 0.95, claim="p95 ≤ 2 s", above="above 2 s")
    assert not outside.shown and "missed" in outside.note
