"""Load profiles: how many shoppers, how fast, for how long, and when to stop for safety.

A profile is a list of stages, each ramping linearly from the previous stage's target to its
own (a hold repeats the target; a spike is a short stage to a high one), either in concurrent
users (closed model: each user runs journey after journey) or in arrival rate (open model:
journey iterations started per second, kept even when responses slow down). The journeys'
http flows are mixed by weight. `abort_if` is the safety rail; `slo` judges the rehearsal.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from runner.errors import Problem, SpecError
from runner.spec.literals import check_path
from runner.spec.problems import problems_from_validation, suggest
from runner.spec.slo import Percentiles
from runner.spec.units import Duration, Ratio
from runner.spec.yamlsource import Document, Marks, read_document

_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*")
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_rate(value: object) -> float:
    """Iterations per second from `20/s`, `1200/m`, `5000/h` or a bare number (per second).

    Raises ValueError for anything else, negative or infinite rates included.
    """
    rate = None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            rate = float(value)
        elif isinstance(value, str) and (match := _RATE.fullmatch(value)):
            rate = float(match.group(1)) / _PER[match.group(2)]
    except OverflowError:
        rate = None
    if rate is None or not math.isfinite(rate) or rate < 0:
        raise ValueError(f"expected a rate such as 20/s or 1200/m, got {str(value)[:40]!r}")
    return rate


Rate = Annotated[float, BeforeValidator(parse_rate)]


class Stage(BaseModel):
    """Move to `users` (closed) or `rate` (open), then hold, for `duration` in all.

    The first `ramp` of the stage moves linearly from the previous stage's target to this one
    (0: at once, a spike); the rest holds. `exclude: ramp` leaves the ramps out of judging.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    duration: Duration = Field(gt=0)
    users: int | None = Field(default=None, ge=0)
    rate: Rate | None = None
    ramp: Duration = 0.0
    name: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _one_target(self) -> Stage:
        if (self.users is None) == (self.rate is None):
            raise ValueError("expected exactly one of users, rate")
        if self.ramp > self.duration:
            raise ValueError("ramp must not be longer than the stage's duration")
        return self

    @property
    def target(self) -> float:
        return float(self.users if self.users is not None else self.rate or 0.0)


class ThinkTime(BaseModel):
    """A pause drawn uniformly between iterations of one user (closed model)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: Duration = 0.0
    max: Duration = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> ThinkTime:
        if self.max < self.min:
            raise ValueError("max must not be below min")
        return self


def _off_means_none(value: object) -> object:
    # YAML 1.1 reads `off` and `no` as false: `hang: off` and `hang: false` both turn a rail off
    return None if value is False or value in ("off", "none") else value


DEFAULT_HANG_S = 10.0  # no success of a step for this long, with some outstanding: a hang
DEFAULT_THROUGHPUT_FLOOR = 0.5  # of the asked rate, for the rail's whole window
DEFAULT_THROUGHPUT = 0.95  # open model: the share of asked iterations that must complete
DEFAULT_REQUEST_TIMEOUT_S = 30.0  # the same as a journey step's default `request.timeout`


class AbortIf(BaseModel):
    """The safety rails: stop the rehearsal when, over the last `for` seconds, any holds.

    Two rails are on whatever the profile says, because a target that hangs answers no
    error to count: `hang` (a step with requests outstanding and no success for that long)
    and `throughput_floor` (open model: iterations completed below that share of the asked
    rate over the window). `false` or `off` turns either off.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    error_rate: Ratio | None = None
    p95: Duration | None = None
    health: bool = False  # the target's health endpoint failing throughout the window
    health_path: Annotated[str, AfterValidator(check_path)] = "/health"
    window: Duration = Field(default=30.0, alias="for", gt=0)
    hang: Annotated[Duration | None, BeforeValidator(_off_means_none)] = DEFAULT_HANG_S
    throughput_floor: Annotated[Ratio | None, BeforeValidator(_off_means_none)] = (
        DEFAULT_THROUGHPUT_FLOOR
    )


class LoadSlo(BaseModel):
    """How the rehearsal is judged, on top of each journey's own SLO."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    exclude: Literal["ramp", "none"] = "none"
    latency: Percentiles | None = None  # over every request of the judged stages
    error_rate: Ratio | None = None
    # open model: iterations completed / asked per judged stage; DEFAULT_THROUGHPUT if unset
    throughput: Annotated[Ratio | None, BeforeValidator(_off_means_none)] = DEFAULT_THROUGHPUT
    min_rate: Rate | None = None  # any model: iterations completed per second, per stage


class Peak(BaseModel):
    """The event a profile stands for and the peak it expects: `{event: flash sale, users: 60}`.

    In users (closed model) or `rate` (open model), matching the stages. Without one, a profile
    is "not a peak rehearsal", whatever its name: the report says what was held against it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    event: str = Field(min_length=1, max_length=80)
    users: int | None = Field(default=None, ge=1)
    rate: Rate | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_measure(self) -> Peak:
        if (self.users is None) == (self.rate is None):
            raise ValueError("give the expected peak in users or in rate, one of them")
        return self


class LoadProfile(BaseModel):
    """One peak-event profile: stages, mix, think time, probes, rails and objectives."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    profile: str = Field(min_length=1, max_length=64)
    description: str = ""
    stages: list[Stage] = Field(min_length=1)
    mix: dict[str, int] = Field(min_length=1)
    think_time: ThinkTime = ThinkTime()
    max_users: int = Field(default=500, ge=1)  # open model: users that may be busy at once
    probes: list[str] = []
    probe_interval: Duration = 15.0
    # the timeout of every http step that sets none itself; also the end-of-run grace
    request_timeout: Duration | None = Field(default=None, gt=0)
    abort_if: AbortIf = AbortIf()
    slo: LoadSlo = LoadSlo()
    peak: Peak | None = None

    @model_validator(mode="after")
    def _one_model(self) -> LoadProfile:
        kinds = {stage.users is None for stage in self.stages}
        if len(kinds) > 1:
            raise ValueError("stages must all be in users or all in rate, not both")
        if self.peak is not None and (self.peak.users is None) != self.open_model:
            unit = "rate" if self.open_model else "users"
            raise ValueError(f"the stages are in {unit}: give the expected peak in {unit} too")
        if any(weight < 0 for weight in self.mix.values()) or not any(self.mix.values()):
            raise ValueError("mix weights must be non-negative and not all zero")
        return self

    @property
    def open_model(self) -> bool:
        return self.stages[0].rate is not None

    def grace_s(self, journeys_timeouts: list[float]) -> float:
        """How long in-flight work may finish once the profile ends: the request timeout.

        The longest timeout among the mix's steps (each is the step's own, or the profile's
        `request_timeout`, or the default), so every request can end by its own timeout.
        """
        return max(journeys_timeouts, default=self.request_timeout or DEFAULT_REQUEST_TIMEOUT_S)

    def duration_s(self, time_scale: float = 1.0) -> float:
        return sum(stage.duration for stage in self.stages) * time_scale


SHIPPED_PROFILES = Path(__file__).resolve().parent.parent.parent / "loadprofiles"
"""The profiles journey ships (`journey load flash-sale`)."""


def shipped_profile_names() -> list[str]:
    """Names of the shipped profiles, sorted: what `journey load NAME` accepts as a name."""
    return sorted(path.stem for path in SHIPPED_PROFILES.glob("*.yaml"))


def load_profile(
    path: Path,
    *,
    http_journeys: set[str] | None = None,
    browser_journeys: set[str] | None = None,
) -> LoadProfile:
    """Load and validate a profile file. Raises SpecError with every problem placed.

    Given the names of the journeys with http and with browser flows, it also checks that
    the mix names http journeys and the probes browser ones, placing each wrong name. A
    `path` that does not exist and looks like a name (`flsh-sale`) is answered with the
    shipped names and the nearest one.
    """
    if not path.exists() and len(path.parts) == 1 and path.suffix not in (".yaml", ".yml"):
        raise SpecError([_unknown_name(str(path))])
    document = read_document(path)
    profile = profile_from_document(document)
    if http_journeys is not None and browser_journeys is not None:
        check_against_journeys(profile, str(path), http_journeys, browser_journeys, document.marks)
    return profile


def _unknown_name(name: str) -> Problem:
    shipped = shipped_profile_names()
    close = suggest(name, shipped)
    hint = f"did you mean {close[0]!r}? " if close else ""
    message = (
        f"no profile file or shipped profile named {name!r}: "
        f"{hint}shipped: {', '.join(shipped) or 'none'}"
    )
    return Problem(name, 1, 1, ("profile",), message)


def profile_from_document(document: Document) -> LoadProfile:
    """Validate one parsed profile file. Raises SpecError with every problem placed."""
    if not isinstance(document.data, dict):
        raise SpecError([Problem(document.path, 1, 1, (), "expected a load profile mapping")])
    try:
        return LoadProfile.model_validate(document.data)
    except ValidationError as exc:
        raise SpecError(problems_from_validation(exc, document, LoadProfile)) from None


def check_against_journeys(
    profile: LoadProfile,
    path: str,
    http_journeys: set[str],
    browser_journeys: set[str],
    marks: Marks | None = None,
) -> None:
    """The mix names journeys with an http flow; probes name journeys with a browser flow.

    Raises SpecError naming each wrong journey, placed at it when `marks` are known.
    """
    marks = marks or Marks()
    problems = [
        Problem(
            path,
            *marks.at(("mix", name), key=True),
            ("mix", name),
            f"no journey {name!r} with an http flow",
        )
        for name in profile.mix
        if name not in http_journeys
    ]
    problems += [
        Problem(
            path,
            *marks.at(("probes", index)),
            ("probes", index),
            f"no journey {name!r} with a browser flow",
        )
        for index, name in enumerate(profile.probes)
        if name not in browser_journeys
    ]
    if problems:
        raise SpecError(problems)


__all__ = [
    "SHIPPED_PROFILES",
    "LoadProfile",
    "Stage",
    "check_against_journeys",
    "load_profile",
    "parse_rate",
    "profile_from_document",
    "shipped_profile_names",
]
