"""The variables a journey run starts with: its iteration, data rows and rendered vars."""

from __future__ import annotations

from typing import Any

from runner.spec.loader import LoadedJourney
from runner.spec.template import render_value


def start_variables(journey: LoadedJourney, iteration: int) -> dict[str, Any]:
    """Variables a run starts with: its iteration, one row per data feeder, rendered vars.

    Raises FeederExhausted when a unique feeder has no row left.
    """
    variables: dict[str, Any] = {"iteration": iteration}
    for name, feeder in journey.feeders.items():
        variables[name] = feeder.draw()
    for key, value in journey.spec.vars.items():
        variables[key] = render_value(value, variables)
    return variables
