"""The journey language: typed, validated models and the YAML loading that places every error.

Public surface: `load_journeys`, `load_journey_text`, `load_targets`, `resolve_target` and the
models. Validation happens here, once, at the boundary; engines trust what they get.
"""

from __future__ import annotations

from runner.spec.journey import Capture, Check, Expect, HttpRequest, HttpStep, Journey, Until
from runner.spec.loader import LoadedJourney, load_journey_text, load_journeys
from runner.spec.slo import JourneySlo, Percentiles, StepSlo
from runner.spec.target import Target, load_targets, resolve_target

__all__ = [
    "Capture",
    "Check",
    "Expect",
    "HttpRequest",
    "HttpStep",
    "Journey",
    "JourneySlo",
    "LoadedJourney",
    "Percentiles",
    "StepSlo",
    "Target",
    "Until",
    "load_journey_text",
    "load_journeys",
    "load_targets",
    "resolve_target",
]
