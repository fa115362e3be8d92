"""How much a set of samples proves: one rule for every objective that a share can decide.

An objective allows a share of bad samples: failed runs under a success ratio (1 - target),
samples above the threshold under a percentile q (1 - q). What was seen decides met or missed;
the one-sided exact binomial bound (Clopper-Pearson) on the bad share at the run's confidence
decides whether the samples *show* it: 3 runs without a failure cannot show 99.5 %, 598 can
(0.05^(1/598) = 0.99500). Objectives no count can show — 100 % success, `max`, throughput —
are observed: met or missed on what was seen, never shown. The bound is the beta quantile
(SciPy's `betaincinv`, imported only when some sample was bad: with none, the bound has a
closed form, 1 - (1 - c)^(1/n), and `journey run` stays fast to start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from runner.document import Evidence

MAX_NEEDED = 10**9  # beyond this, "needed" says nothing a user can act on


@dataclass(frozen=True, slots=True)
class Share:
    """What an objective allows and what was seen: `bad` of `samples`, at most `allowed` share."""

    samples: int
    bad: int
    allowed: float

    @property
    def observed(self) -> bool:
        """No count can show a share of 0 (100 %, max): such objectives are only observed."""
        return self.allowed <= 0.0

    @property
    def within(self) -> bool:
        """What was seen is within the objective."""
        # with a hair of tolerance: 1 - 0.9 is 0.0999…98 in floating point, and 2 of 20 is 10 %
        return self.samples > 0 and self.bad <= self.allowed * self.samples + 1e-9


def upper_bound(bad: int, samples: int, confidence: float) -> float:
    """The one-sided Clopper-Pearson upper bound on the bad share at `confidence`."""
    if samples <= 0 or bad >= samples:
        return 1.0
    if bad == 0:
        return float(1.0 - (1.0 - confidence) ** (1.0 / samples))
    from scipy.special import betaincinv  # half a second to import: only when needed

    return float(betaincinv(bad + 1, samples - bad, confidence))


def samples_needed(bad: int, allowed: float, confidence: float) -> int | None:
    """The fewest samples whose bound, with `bad` of them bad, is within `allowed`.

    None when no count can (`allowed` is 0) or it would take more than MAX_NEEDED.
    """
    if allowed <= 0.0:
        return None
    if bad == 0:  # closed form: 1 - (1 - c)^(1/n) ≤ allowed
        needed = math.ceil(math.log(1.0 - confidence) / math.log(1.0 - allowed) - 1e-9)
        return needed if needed <= MAX_NEEDED else None
    low, high = bad + 1, bad + 1
    while upper_bound(bad, high, confidence) > allowed:
        low, high = high, high * 2
        if high > MAX_NEEDED:
            return None
    while low < high:  # the bound falls as samples grow: the first n within `allowed`
        middle = (low + high) // 2
        if upper_bound(bad, middle, confidence) <= allowed:
            high = middle
        else:
            low = middle + 1
    return low


def evidence(
    share: Share, confidence: float, *, claim: str, above: str | None = None, unit: str = "run"
) -> Evidence:
    """The evidence of a share that some count can show; `claim` is what it would show.

    For runs judged on success, `claim` reads "≥ 99.5 %"; for samples judged on a percentile,
    `above` names the bad side ("above 2 s") and `claim` the objective ("p95 ≤ 2 s").
    """
    bound = upper_bound(share.bad, share.samples, confidence)
    shown = share.within and bound <= share.allowed
    needed = None if shown else samples_needed(share.bad, share.allowed, confidence)
    return Evidence(
        confidence=confidence,
        samples=share.samples,
        bad=share.bad,
        allowed_share=round(share.allowed, 6),
        bound=round(bound, 6),
        shown=shown,
        needed=needed,
        note=_note(share, needed, shown, claim=claim, above=above, unit=unit),
    )


def _note(
    share: Share, needed: int | None, shown: bool, *, claim: str, above: str | None, unit: str
) -> str:
    n, bad = share.samples, share.bad
    if above is None:  # runs (or requests), judged on success
        seen = f"{n} {unit}{'s' * (n != 1)}" + (f", {bad} failed" if bad else "")
        if shown:
            return f"{seen}: shown {claim}"
        if not share.within:
            return f"{seen}: worse than {claim}"
        if needed is None:
            return f"{seen}: too many failures for any number of {unit}s to show {claim}"
        with_bad = "with no failure" if bad == 0 else f"at {bad} failed"
        return f"{seen}; {needed} needed {with_bad} to show {claim}"
    seen = f"{n} sample{'s' * (n != 1)}" + (f", {bad} {above}" if bad else "")
    if shown:
        return f"{seen}: shown {claim}"
    if not share.within:
        return f"{seen}: {claim} missed"
    if needed is None:
        return f"{seen}: too many {above} for any number of samples to show {claim}"
    if bad == 0:
        return f"{seen}; {claim}: a bound needs ≥ {needed} samples, more with any {above}"
    return f"{seen}; {claim}: a bound needs ≥ {needed} samples at {bad} {above}"
