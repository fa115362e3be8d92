"""The canary's statistics against their oracles and, by seeded simulation, its error rates.

The boundaries must match the oracles the issue computed twice by recursive integration; the
shown interval must invert the decision at every look; the count test must reproduce the
statistics notes' figures; and simulated canaries must roll back at the rates the rule
promises, while the peers' rules (a fixed z at every look, Kayenta-style re-testing) on the
same samples do not. Simulations are seeded, so each figure is the same on every run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from runner.slo.boundaries import upper_boundaries
from runner.slo.canary import CanaryPlan, FamilyJudge, Margins, decide, needed_samples
from runner.slo.canary_family import ArmSamples, MetricSpec, family_of
from runner.slo.canary_simulation import LogNormalArm, simulate
from runner.slo.counts import count_test, log_bayes_factor
from runner.slo.shift import ShiftTest, log_samples
from runner.spec import load_journeys
from tests.conftest import JOURNEYS

ORACLES = {
    0.01: (4.384, 3.936, 3.664, 3.460, 3.288, 3.140, 3.008, 2.888, 2.776, 2.672, 2.576, 2.480),
    0.02: (4.232, 3.764, 3.480, 3.264, 3.080, 2.920, 2.780, 2.648, 2.528, 2.412, 2.304, 2.200),
    0.005: (4.536, 4.100, 3.840, 3.644, 3.484, 3.348, 3.224, 3.112, 3.008, 2.912, 2.820, 2.736),
}
SINGLE = [MetricSpec("sim", "http", "latency")]
AT_MARGIN = Margins(floor_s=0.0)  # one step of 1 s: the 5 ms floor would never bind anyway
CHECKOUT_MEDIANS = {
    "search": 0.6,
    "product page": 0.4,
    "add to cart": 0.5,
    "checkout form": 0.4,
    "place order": 0.8,
}


def checkout_family() -> list[MetricSpec]:
    (checkout,) = load_journeys([JOURNEYS / "checkout.yaml"])
    return family_of(checkout.spec, "http")


@pytest.mark.parametrize("alpha", sorted(ORACLES))
def test_the_boundaries_match_the_integration_oracles_within_half_a_percent(alpha: float) -> None:
    bounds = upper_boundaries(12, alpha)
    for look, (ours, oracle) in enumerate(zip(bounds, ORACLES[alpha], strict=True), start=1):
        assert ours == pytest.approx(oracle, rel=0.005), f"look {look}"


def test_one_look_is_the_fixed_horizon_z_and_the_last_look_spends_all_alpha() -> None:
    assert upper_boundaries(1, 0.02) == pytest.approx((float(stats.norm.isf(0.02)),))
    bounds = upper_boundaries(12, 0.02)
    assert list(bounds) == sorted(bounds, reverse=True)
    assert bounds[-1] < float(stats.norm.isf(0.02 * (1 - (11 / 12) ** 3)))


def test_the_shifted_z_is_scipys_mann_whitney_and_the_interval_its_order_statistics() -> None:
    rng = np.random.default_rng(7)
    cand, base = rng.lognormal(0.1, 0.5, 140), rng.lognormal(0.0, 0.5, 120)
    test = ShiftTest(log_samples(cand), log_samples(base))
    scipy_p = stats.mannwhitneyu(np.log(cand), np.log(base), alternative="greater").pvalue
    assert test.z(0.0) == pytest.approx(float(stats.norm.isf(scipy_p)), rel=1e-9)
    differences = np.sort(np.subtract.outer(np.log(cand), np.log(base)).ravel())
    boundary = 2.9
    u = math.ceil(differences.size / 2 + 0.5 + boundary * test.sd)
    assert test.lower(boundary) == pytest.approx(differences[::-1][u - 1], abs=1e-12)
    assert test.upper(boundary) == pytest.approx(differences[u - 1], abs=1e-12)
    assert test.hodges_lehmann() == pytest.approx(float(np.median(differences)), abs=1e-12)


def test_the_interval_inverts_the_decision_at_every_look_of_a_simulation() -> None:
    plan = CanaryPlan(margins=AT_MARGIN)
    arm = LogNormalArm({"a": 1.0})
    for shift in (0.0, 0.10, 0.2):
        tally = simulate(
            plan,
            SINGLE,
            arm,
            LogNormalArm({"a": 1.0}, shifts={"a": shift}),
            canaries=60,
            seed=11,
            check_intervals=True,
        )
        assert tally.intervals_checked > 60
        assert tally.interval_mismatches == 0


def test_the_count_test_reproduces_the_statistics_notes_figures() -> None:
    assert math.exp(log_bayes_factor(9, 0, 0.5)) == pytest.approx(51.2)
    assert not count_test(8, 0, 100, 100, ratio=1.0, threshold=50).crossed
    assert count_test(9, 0, 100, 100, ratio=1.0, threshold=50).crossed
    assert not count_test(11, 0, 100, 100, ratio=1.5, threshold=50).crossed
    assert count_test(12, 0, 100, 100, ratio=1.5, threshold=50).crossed
    at_250 = count_test(15, 0, 100, 100, ratio=1.5, threshold=250)
    assert at_250.crossed and round(at_250.bayes_factor) == 251
    assert not count_test(14, 0, 100, 100, ratio=1.5, threshold=250).crossed
    # both arms failing equally and often: a huge BF against ρ₀ = 0.6, from below: no rollback
    equal = count_test(455, 445, 1000, 1000, ratio=1.5, threshold=250)
    assert equal.bayes_factor > 1e5 and not equal.crossed
    assert equal.within  # and the confidence sequence shows the candidate within 1.5×


def test_the_minimum_samples_formula() -> None:
    # the 705 at σ = 0.5, m = 4 (α/m = 0.005), margin 10 %: the formula gives 707
    assert needed_samples(0.5, 0.005, math.log(1.1)) == 707
    assert needed_samples(0.25, 0.005, math.log(1.1)) == 177


@pytest.mark.slow
def test_at_the_margin_the_rule_rolls_back_about_alpha_and_a_fixed_z_every_look_far_more() -> None:
    tally = simulate(
        CanaryPlan(margins=AT_MARGIN),
        SINGLE,
        LogNormalArm({"a": 1.0}),
        LogNormalArm({"a": 1.0}, shifts={"a": 0.10}),
        canaries=4000,
        seed=20261203,
    )
    print(  # noqa: T201 - the figures, for a -s run and failed runs' output
        f"at the margin, 4000 canaries: rule {tally.share(tally.rollbacks):.2%}, fixed z every "
        f"look {tally.share(tally.fixed_every_look):.2%}, horizon {tally.share(tally.fixed_horizon):.2%}"
    )
    assert 0.013 <= tally.share(tally.rollbacks) <= 0.027
    assert tally.share(tally.fixed_every_look) > 0.06


@pytest.mark.slow
def test_identical_checkout_arms_almost_never_roll_back_and_kayenta_style_often_does() -> None:
    arm = LogNormalArm(CHECKOUT_MEDIANS, error_rate=0.005)
    tally = simulate(CanaryPlan(), checkout_family(), arm, arm, canaries=1500, seed=5)
    print(  # noqa: T201 - the figures, for a -s run and failed runs' output
        f"identical checkout arms, 1500 canaries: rule {tally.share(tally.rollbacks):.2%}, "
        f"Kayenta-style {tally.share(tally.kayenta):.2%}"
    )
    assert tally.share(tally.rollbacks) <= 0.005
    assert tally.share(tally.kayenta) > 0.06


@pytest.mark.slow
def test_two_arms_failing_equally_at_half_never_roll_back_on_errors() -> None:
    errors = [MetricSpec("sim", "http", "errors")]
    arm = LogNormalArm({"a": 0.1}, error_rate=0.5)
    tally = simulate(CanaryPlan(), errors, arm, arm, canaries=2000, seed=9)
    assert tally.canaries == 2000
    assert tally.rollbacks == 0


@pytest.mark.slow
def test_margins_are_used_a_small_shift_and_a_small_error_ratio_promote() -> None:
    plan = CanaryPlan()
    base = LogNormalArm(CHECKOUT_MEDIANS, error_rate=0.02)
    plus_3 = LogNormalArm(
        CHECKOUT_MEDIANS, error_rate=0.02, shifts=dict.fromkeys(CHECKOUT_MEDIANS, 0.03)
    )
    tally = simulate(plan, checkout_family(), base, plus_3, canaries=200, seed=3)
    assert tally.share(tally.promotions) >= 0.97, tally
    ratio_1_3 = LogNormalArm(CHECKOUT_MEDIANS, error_rate=0.026)
    tally = simulate(plan, checkout_family(), base, ratio_1_3, canaries=200, seed=4)
    assert tally.share(tally.promotions) >= 0.97, tally


@pytest.mark.slow
def test_a_clear_regression_is_caught_early() -> None:
    base = LogNormalArm(CHECKOUT_MEDIANS)
    slower = LogNormalArm(CHECKOUT_MEDIANS, shifts={"place order": 0.5})
    tally = simulate(CanaryPlan(), checkout_family(), base, slower, canaries=100, seed=8)
    assert tally.share(tally.rollbacks) >= 0.95
    assert tally.median_rollback_look is not None and tally.median_rollback_look <= 4
    assert tally.rolled_back_on.get("checkout › place order latency", 0) >= 90


def test_too_few_samples_hold_with_the_samples_each_latency_metric_needs() -> None:
    judge = FamilyJudge(CanaryPlan(looks=1, iterations=2), checkout_family())
    rng = np.random.default_rng(2)
    arms = ArmSamples(), ArmSamples()
    for arm in arms:
        LogNormalArm(CHECKOUT_MEDIANS)(rng, 2).add_to(arm)
    metrics = [judge.judge(spec, 1, *arms) for spec in judge.family]
    decision = decide(metrics, (), final=True)
    assert decision.verdict == "hold"
    short = [m for m in metrics if m.classification == "not enough data"]
    assert {m.name for m in short} == {"checkout latency", "checkout › place order latency"}
    assert all(m.needed and m.needed > 2 and f"needs {m.needed} per arm" in m.reason for m in short)
