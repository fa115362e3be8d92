"""The count test of a canary: are the candidate's errors (or slow runs) beyond the margin?

Lindon & Malek (NeurIPS 2022), "Anytime-valid inference for multinomial count data": given
that an event happened, it fell on the candidate with probability θ; with a share ρ of the
attempts on the candidate and a margin r (the candidate may have up to r× the baseline's rate),
the null is θ ≤ ρ₀ = rρ / (rρ + 1 − ρ). The Bayes factor of a Beta(kρ₀, k(1 − ρ₀)) mixture
against θ = ρ₀ is a test martingale: checked at every look, it exceeds 1/α with probability
at most α. It works with zero baseline errors, where ratio tests divide by zero (kayenta
#426, #799). It also grows when both arms fail equally and often (the data then speak against
ρ₀ from below), so a rollback also needs the candidate's observed share above ρ₀.

The confidence sequence is every share θ whose Bayes factor stays below the threshold; its
upper end below ρ₀ shows the candidate within the margin (early promotion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, special

PRIOR_CONCENTRATION = 2.0  # k: a weak prior, so that a clear excess shows within a few events


def null_share(rho: float, ratio: float) -> float:
    """ρ₀: the share of events the candidate may carry when its rate is `ratio`× the baseline's."""
    return ratio * rho / (ratio * rho + 1.0 - rho)


def log_bayes_factor(
    candidate: int, baseline: int, share: float, k: float = PRIOR_CONCENTRATION
) -> float:
    """The log Bayes factor of the Beta(k·θ₀, k(1 − θ₀)) mixture against θ = θ₀ = `share`."""
    a, b = k * share, k * (1.0 - share)
    return float(
        special.betaln(a + candidate, b + baseline)
        - special.betaln(a, b)
        - candidate * math.log(share)
        - baseline * math.log1p(-share)
    )


@dataclass(frozen=True, slots=True)
class CountResult:
    """One look of the count test."""

    candidate: int  # events on each arm so far
    baseline: int
    rho: float  # the candidate's share of the attempts
    null: float  # ρ₀
    bayes_factor: float
    threshold: float  # m / α
    share_upper: float  # the confidence sequence's upper end for θ

    @property
    def observed_share(self) -> float | None:
        events = self.candidate + self.baseline
        return self.candidate / events if events else None

    @property
    def crossed(self) -> bool:
        """Roll back: the evidence is past the threshold, and on the candidate's side."""
        share = self.observed_share
        return self.bayes_factor >= self.threshold and share is not None and share > self.null

    @property
    def within(self) -> bool:
        """Shown within the margin: no share at or beyond ρ₀ survives."""
        return self.share_upper < self.null

    def ratio_of(self, share: float) -> float:
        """The candidate's rate over the baseline's that a share θ of the events means."""
        if share >= 1.0:
            return math.inf
        return share * (1.0 - self.rho) / (self.rho * (1.0 - share))


def count_test(
    candidate: int,
    baseline: int,
    candidate_attempts: int,
    baseline_attempts: int,
    *,
    ratio: float,
    threshold: float,
) -> CountResult:
    """The count test after `candidate` and `baseline` events in so many attempts per arm."""
    rho = candidate_attempts / (candidate_attempts + baseline_attempts)
    null = null_share(rho, ratio)
    log_bf = log_bayes_factor(candidate, baseline, null)
    upper = _share_upper(candidate, baseline, math.log(threshold))
    bf = math.exp(min(log_bf, 700.0))
    return CountResult(candidate, baseline, rho, null, bf, threshold, upper)


def _share_upper(candidate: int, baseline: int, log_threshold: float) -> float:
    """sup{θ : BF(θ) < threshold}, the prior centred on θ as the test centres it on ρ₀.

    With no baseline event nothing bounds θ below 1: the candidate may carry every event.
    """
    events = candidate + baseline
    if baseline == 0:
        return 1.0
    start = candidate / events if events else 0.5
    start = min(max(start, 1e-9), 1.0 - 1e-9)

    def excess(share: float) -> float:
        return log_bayes_factor(candidate, baseline, share) - log_threshold

    high = 1.0 - 1e-12
    if excess(high) < 0.0:
        return 1.0
    if excess(start) >= 0.0:
        return start
    return float(optimize.brentq(excess, start, high, xtol=1e-12))
