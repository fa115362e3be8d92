"""The latency test of a canary: margin-shifted Mann-Whitney, and the interval that inverts it.

Latencies are compared in log space, where a slowdown of +10 % is a shift of log 1.1 whatever
the step's speed. The test asks whether the candidate is slower than the baseline by more than
the margin δ: the Mann-Whitney z of (log candidate − δ) against log baseline, with the usual
continuity correction. The number shown is built from the same function (so that a shown
shift can never contradict the decision, kayenta #633): the Hodges-Lehmann shift (the median of
the n_c·n_b differences) and the interval [L, U] where L = inf{Δ : z(Δ) < c} and U its mirror;
so z(δ) ≥ c exactly when L > δ.

U(Δ), the count of pairs with log c_i − Δ > log b_j (ties counting one half), is computed from
the two sorted samples by binary search, never from the n_c·n_b differences: a look over 5,000
samples per arm stays milliseconds. Without ties, L is exactly the u-th largest difference,
u = ⌈n_c·n_b/2 + ½ + c·σ_U⌉; the bisection below finds it to the last bit in any case.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

LOG_FLOOR_S = 1e-3  # samples are clamped at 1 ms before their log: a freshness of 0 is "at once"
_BISECTIONS = 200  # enough to reach adjacent floats from any bracket


def log_samples(seconds: Sequence[float] | np.ndarray) -> np.ndarray:
    """Seconds as sorted log seconds, clamped at LOG_FLOOR_S."""
    values: np.ndarray = np.log(np.maximum(np.asarray(seconds, dtype=float), LOG_FLOOR_S))
    values.sort()
    return values


class ShiftTest:
    """The Mann-Whitney comparison of two sorted log samples, at any shift Δ of the candidate."""

    def __init__(self, candidate: np.ndarray, baseline: np.ndarray) -> None:
        """Both sorted (see log_samples) and non-empty."""
        if not len(candidate) or not len(baseline):
            raise ValueError("a shift test needs samples in both arms")
        self.candidate = candidate
        self.baseline = baseline
        self.pairs = len(candidate) * len(baseline)
        n_c, n_b = len(candidate), len(baseline)
        self.sd = math.sqrt(n_c * n_b * (n_c + n_b + 1) / 12.0)

    def wins(self, shift: float) -> float:
        """U(Δ): pairs with log c_i − Δ above log b_j, ties counting one half."""
        shifted = self.candidate - shift
        below = np.searchsorted(self.baseline, shifted, side="left")
        at_or_below = np.searchsorted(self.baseline, shifted, side="right")
        return float(below.sum() + 0.5 * (at_or_below - below).sum())

    def z(self, shift: float) -> float:
        """The one-sided z that the candidate, less `shift`, is slower than the baseline."""
        return (self.wins(shift) - self.pairs / 2.0 - 0.5) / self.sd

    def lower(self, boundary: float) -> float:
        """L = inf{Δ : z(Δ) < boundary}: the candidate is slower by more than any Δ < L."""
        needed = self.pairs / 2.0 + 0.5 + boundary * self.sd  # z(Δ) ≥ c  ⇔  U(Δ) ≥ needed
        return _first_below(self.wins, needed, self._span())

    def upper(self, boundary: float) -> float:
        """U: the mirror of `lower` (the baseline against the candidate), negated."""
        return -ShiftTest(self.baseline, self.candidate).lower(boundary)

    def hodges_lehmann(self) -> float:
        """The median of the pairwise differences log c_i − log b_j."""
        low = _first_below(self.wins, self.pairs / 2.0, self._span())
        mirror = ShiftTest(self.baseline, self.candidate)
        high = -_first_below(mirror.wins, self.pairs / 2.0, mirror._span())
        return (low + high) / 2.0

    def _span(self) -> tuple[float, float]:
        """A bracket of every pairwise difference."""
        low = float(self.candidate[0] - self.baseline[-1]) - 1.0
        high = float(self.candidate[-1] - self.baseline[0]) + 1.0
        return low, high


def _first_below(wins: Callable[[float], float], needed: float, span: tuple[float, float]) -> float:
    """The smallest Δ in the bracket at which wins(Δ) < needed (wins falls as Δ grows).

    When even the bracket's low end falls short, the interval is unbounded there: -inf.
    """
    low, high = span
    if wins(low) < needed:
        return -math.inf
    if wins(high) >= needed:
        return math.inf
    for _ in range(_BISECTIONS):
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if wins(middle) >= needed:
            low = middle
        else:
            high = middle
    return high
