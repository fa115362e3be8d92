"""The variables a journey run starts with: its iteration, base URLs, data rows, rendered vars."""

from __future__ import annotations

from typing import Any

from runner.engines.memo import PerObject
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.spec.template import render_value


def _base_urls(target: Target) -> dict[str, str]:
    return target.base_urls()


# one mapping per target, shared by its runs: templates only read it
_base_urls_of = PerObject(_base_urls)


def start_variables(journey: LoadedJourney, iteration: int, target: Target) -> dict[str, Any]:
    """Variables a run starts with: its iteration, one row per data feeder, rendered vars.

    `base_url` maps each surface to the target's base URL for it (`{{ base_url.api }}`), for
    an API that wants absolute URLs in its bodies. Raises FeederExhausted when a unique
    feeder has no row left.
    """
    variables: dict[str, Any] = {"iteration": iteration, "base_url": _base_urls_of(target)}
    for name, feeder in journey.feeders.items():
        variables[name] = feeder.draw()
    for key, value in journey.spec.vars.items():
        variables[key] = render_value(value, variables)
    return variables
