"""Group-sequential rollback boundaries: how large a canary's z must be at each planned look.

A canary looks K times; re-testing at a fixed α at every look multiplies false rollbacks
(about 4.5× over 12 looks, ../shared/canary-statistics.md). The boundaries spend α over the
planned information fractions t_k = k/K as α·t³ (close to O'Brien-Fleming: strict early, near
the fixed-horizon z at the end), so the chance that any look crosses, for a metric sitting
exactly at its margin, is α. They depend only on (K, α, φ), so they are computed once per
configuration and cached; samples lost to failures do not move them.

Computed by recursive numerical integration (Armitage, McPherson & Rowe 1969; Jennison &
Turnbull ch. 19), as R's ldbounds and gsDesign do: the density of the score S_k = √k·z_k of
paths that have not crossed yet is carried look to look on a grid, and c_k is solved so that
the paths crossing at look k carry exactly the α spent there. Upper boundary only (one-sided).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import optimize, stats

SPENDING_POWER = 3.0  # α·t^φ with φ = 3
_GRID_STEP = 0.025  # of the score S_k: within 0.06 % of the oracles (0.05: 0.06 %, too)
_TAIL_SD = 8.0  # the grid's lower end, in standard deviations of S_k: below it, < 1e-15


def spent(look: int, looks: int, alpha: float, power: float = SPENDING_POWER) -> float:
    """The α spent by look `look` of `looks` (cumulative): α·(k/K)^φ, all of it at the last."""
    return alpha if look >= looks else alpha * (look / looks) ** power


@functools.lru_cache(maxsize=64)
def upper_boundaries(looks: int, alpha: float, power: float = SPENDING_POWER) -> tuple[float, ...]:
    """The z boundary c_k of each look 1..K, for a one-sided test at level `alpha`.

    Raises ValueError for looks < 1 or alpha outside (0, 0.5).
    """
    if looks < 1:
        raise ValueError(f"looks must be at least 1, got {looks}")
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be between 0 and 0.5, got {alpha}")
    first = float(stats.norm.isf(spent(1, looks, alpha, power)))
    bounds = [first]
    # the density of S_1 = z_1 (standard normal) on a grid ending at the first boundary
    grid = _grid(-_TAIL_SD, first)
    density = stats.norm.pdf(grid)
    for look in range(2, looks + 1):
        weights = _trapezoid_weights(grid) * density
        target = spent(look, looks, alpha, power) - spent(look - 1, looks, alpha, power)

        def crossing(
            score: float,
            weights: np.ndarray = weights,
            grid: np.ndarray = grid,
            spend: float = target,
        ) -> float:
            # P(S_k > score, not crossed before) - what this look may spend
            return float(np.dot(weights, stats.norm.sf(score - grid))) - spend

        root = math.sqrt(look)
        low, high = -2.0 * root, 12.0 * root
        score = float(optimize.brentq(crossing, low, high, xtol=1e-10))
        bounds.append(score / root)
        new_grid = _grid(-_TAIL_SD * root, score)
        # S_k = S_{k-1} + N(0, 1): the new density is the old one convolved with φ
        density = stats.norm.pdf(new_grid[:, None] - grid[None, :]) @ weights
        grid = new_grid
    return tuple(bounds)


def _grid(low: float, high: float) -> np.ndarray:
    points = max(math.ceil((high - low) / _GRID_STEP) + 1, 3)
    return np.linspace(low, high, points)


def _trapezoid_weights(grid: np.ndarray) -> np.ndarray:
    step = grid[1] - grid[0]
    weights = np.full(grid.shape, step)
    weights[0] = weights[-1] = step / 2
    return weights
