"""Judging, in one place: objectives, probe runs, load rehearsals (and the canary's statistics).

`objectives` judges one journey's tally against its SLO; `probes` turns objectives into
journey and run verdicts; `rehearsal` judges a load rehearsal's seconds, stages and profile
objectives. Judging reads results and the spec and knows nothing of outputs.
"""

from __future__ import annotations

from runner.slo.objectives import (
    DEFAULT_CONFIDENCE,
    DEFAULT_SLO,
    DEFAULT_SUCCESS,
    Kind,
    Objective,
    cut_short,
    evaluate_journey,
)
from runner.slo.probes import Judged, journey_verdict, judge_runs, run_verdict

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_SLO",
    "DEFAULT_SUCCESS",
    "Judged",
    "Kind",
    "Objective",
    "cut_short",
    "evaluate_journey",
    "journey_verdict",
    "judge_runs",
    "run_verdict",
]
