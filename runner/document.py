"""The results document, typed: what results.json holds, as frozen dataclasses.

One shape for every producer (`run`, `load`, and the canary and scheduled probes to come) and
every reader. Field names are results.json's keys, so `to_json` and `from_json` are one
generic walk over the dataclasses' type hints rather than a hand-kept mapping per field: a
field added here is written and read everywhere at once. The schema is versioned; `from_json`
reads this version (and migrates older ones when there are any) and raises DocumentError
naming the version it can read, which `journey report` turns into one line and exit 2.

Imports the vocabulary only: the document is data; builders live with judging and commands.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from runner.vocabulary import (
    MET,
    MET_NOT_SHOWN,
    MISSED,
    CanaryClass,
    Engine,
    ExitCode,
    JourneyVerdict,
    ObjectiveKind,
    ObjectiveState,
    RunVerdict,
    exit_code,
)

SCHEMA_VERSION: Literal[1] = 1
Command = Literal["run", "load", "canary", "serve"]


class DocumentError(ValueError):
    """A results document this version cannot read: another schema, or a malformed field."""


@dataclass(frozen=True, slots=True)
class Percentiles:
    """Latency or freshness percentiles in seconds; None where there were no samples."""

    p50: float | None = None
    p75: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """How much an objective's samples prove: a one-sided exact (Clopper-Pearson) bound.

    `bad` counts the samples on the wrong side, exactly: failed runs for a success ratio,
    samples above the threshold for a percentile (never read from the sketch). The objective
    allows a bad share of `allowed_share` (1 - target, or 1 - q); it is shown when the upper
    bound on the bad share at `confidence` is within it. `needed` is how many samples a bound
    would need at the bad share seen so far (None once shown, or when no count can show it).
    """

    confidence: float
    samples: int
    bad: int
    allowed_share: float
    bound: float | None
    shown: bool
    needed: int | None = None
    note: str = ""  # in words: "3 runs; 598 needed with no failure to show ≥ 99.5 %"


@dataclass(frozen=True, slots=True)
class Buckets:
    """Exact cumulative counts of samples ≤ each bound (seconds), as a Prometheus histogram.

    The bounds are a web-latency ladder plus the journey's own SLO thresholds; `count` is the
    `+Inf` bucket and `sum` the exact sum of the samples.
    """

    le: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    sum: float


@dataclass(frozen=True, slots=True)
class Objective:
    """One objective judged: what was asked, what was measured, whether it was met.

    The one type for an objective, from the judge (runner.slo) to every output. For success
    and throughput ratios, `target` and `actual` are ratios and higher is better; for latency
    and freshness they are seconds and `target` is an upper bound.
    """

    name: str
    journey: str
    engine: Engine
    step: str | None
    kind: ObjectiveKind
    stat: str  # "ratio", "rate", "p50" … "p99", "max"
    target: float
    actual: float | None
    samples: int
    met: bool
    detail: str = ""
    error_budget_remaining: float | None = None
    state: ObjectiveState | None = None  # None: "met" if met, else "missed"
    evidence: Evidence | None = None  # None: observed only, or no samples
    # how close to failing: actual / target (latency, freshness), (1 - actual) / (1 - target)
    # for ratios; 1.0 is at the objective, above it is over; None without samples
    margin: float | None = None

    def __post_init__(self) -> None:
        if self.state is None:
            object.__setattr__(self, "state", MET if self.met else MISSED)


@dataclass(frozen=True, slots=True)
class StepEntry:
    """One step of a journey over its runs."""

    name: str
    attempts: int
    failures: int
    latency_s: Percentiles
    freshness_s: Percentiles | None = None
    reasons: Mapping[str, int] = field(default_factory=dict)
    redirects: tuple[str, ...] = ()
    page: Mapping[str, Percentiles] | None = None
    latency_buckets: Buckets | None = None
    freshness_buckets: Buckets | None = None


@dataclass(frozen=True, slots=True)
class ResponseEntry:
    """Where a failed http step's request landed: an http step's screenshot, in text.

    `url` is the final URL's path with query values masked; `redirects` the chain followed,
    oldest first, one `STATUS URL` per hop (masked alike); `body` the start of the final
    response's text (at most 2,000 characters), scrubbed of secrets as everything written.
    """

    url: str
    status: int | None
    redirects: tuple[str, ...] = ()
    body: str = ""


@dataclass(frozen=True, slots=True)
class FailureEntry:
    """One failed run: which step, why, and its artefacts (paths relative to results.json).

    `response` is the failed http step's answer (None for browser steps, which have
    screenshots, and for steps that got no answer).
    """

    iteration: int
    step: str
    reason: str
    started: str
    status: int | None = None
    artefacts: tuple[str, ...] = ()
    screenshot: str | None = None
    trace: str | None = None
    response: ResponseEntry | None = None


@dataclass(frozen=True, slots=True)
class RecordedCapture:
    """One value a `record: true` capture took: which run and step, and when (ISO 8601 UTC)."""

    iteration: int
    step: str
    capture: str
    value: str
    at: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """What a journey's `record: true` captures recorded: how many values, and the first few.

    Every value is a line of `file` (captures.jsonl, beside results.json); the document only
    counts them, so its size does not grow with the orders a rehearsal places.
    """

    count: int
    first: tuple[RecordedCapture, ...] = ()
    file: str = "captures.jsonl"


@dataclass(frozen=True, slots=True)
class JourneyEntry:
    """One journey on one engine, judged."""

    name: str
    description: str
    channel: str
    tags: tuple[str, ...]
    tenant: str | None
    engine: Engine
    file: str
    verdict: JourneyVerdict
    attempts: int
    successes: int
    success_ratio: float | None
    latency_s: Percentiles
    freshness_s: Percentiles | None
    steps: tuple[StepEntry, ...]
    failures: tuple[FailureEntry, ...]
    failure_count: int
    objectives: tuple[Objective, ...]
    console_errors: Mapping[str, int] = field(default_factory=dict)
    failed_requests: Mapping[str, int] = field(default_factory=dict)
    latency_buckets: Buckets | None = None
    freshness_buckets: Buckets | None = None
    last_run: str | None = None  # when the latest run ended (ISO 8601 UTC)
    last_success: str | None = None  # when the latest passing run ended
    recorded: Recorded | None = None  # None: the journey's flow records no capture


@dataclass(frozen=True, slots=True)
class Iterations:
    """Where every iteration went: asked = started + dropped, started = completed + failed."""

    started: int
    completed: int
    failed: int
    cut_off: int = 0
    asked: int | None = None  # open model only
    dropped: int | None = None


@dataclass(frozen=True, slots=True)
class StageEntry:
    """One stage of a rehearsal: its plan, how it was judged, and its figures."""

    name: str
    start_s: float
    ramp_end_s: float
    end_s: float
    target: float
    unit: str
    judged: str
    requests: int
    failures: int
    error_ratio: float | None
    iterations: int
    iterations_per_s: float
    asked_per_s: float | None
    latency_s: Percentiles
    completed_per_s: float | None = None
    conservation: Iterations | None = None
    reasons: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SecondRow:
    """One second of a rehearsal's time series."""

    t: int
    requests: int
    errors: int
    iterations: int
    p50: float | None
    p95: float | None
    users: int | None
    asked: float | None
    completed: int | None = None
    dropped: int | None = None
    in_flight: int | None = None


@dataclass(frozen=True, slots=True)
class Throughput:
    """Iterations completed per steady judged second, against the rate asked."""

    asked_per_s: float | None
    achieved_per_s: float
    requests_per_s: float
    seconds: int = 0
    started_per_s: float | None = None


@dataclass(frozen=True, slots=True)
class Aborted:
    """Why and when a rail stopped the rehearsal (run time, seconds)."""

    reason: str
    at_s: float


@dataclass(frozen=True, slots=True)
class Workers:
    """The rehearsal's load workers: expected, ready at the start, lost on the way."""

    expected: int
    ready: int
    lost: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Generator:
    """How busy the load generators were: over 90 % CPU, figures measure them too."""

    cpu_max_percent: float
    overloaded: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """One browser probe run during a rehearsal."""

    started: float
    journey: str
    engine: Engine
    outcome: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class Probes:
    """The browser probes that ran during a rehearsal, and their runs on its clock."""

    verdict: RunVerdict | None
    journeys: tuple[str, ...] = ()
    timeline: tuple[ProbeRun, ...] = ()


@dataclass(frozen=True, slots=True)
class Peak:
    """The event a load profile stands for and the peak it expects (users, or arrivals/s)."""

    event: str
    expected: float
    unit: Literal["users", "iterations/s"]


@dataclass(frozen=True, slots=True)
class LoadSection:
    """What a load rehearsal adds to a run's results."""

    profile: str
    model: Literal["open", "closed"]
    time_scale: float
    stages: tuple[StageEntry, ...]
    timeseries: tuple[SecondRow, ...]
    aborted: Aborted | None
    throughput: Throughput
    workers: Workers
    generator: Generator
    dropped_iterations: int
    file: str = ""
    grace_s: float | None = None
    judged_note: str = ""
    iterations: Iterations | None = None
    dropped_note: str = ""
    in_flight_max: int | None = None
    probes: Probes | None = None
    peak: Peak | None = None  # None: not a peak rehearsal
    # what was held, for how long, against the expected peak, and at what time scale
    rehearsed: str = ""
    evidence_note: str = ""  # what the bounds of a rehearsal's objectives assume


@dataclass(frozen=True, slots=True)
class TargetInfo:
    """The target a run measured: its name, base URL per surface, tenant."""

    name: str
    urls: Mapping[str, str]
    tenant: str | None = None


CanaryMetricKind = Literal["latency", "freshness", "errors", "slow"]


@dataclass(frozen=True, slots=True)
class CanaryArmFigures:
    """One arm's side of a canary metric: samples (attempts, for counts) and what they show."""

    samples: int
    median_s: float | None = None  # latency and freshness
    events: int | None = None  # errors and slow runs


@dataclass(frozen=True, slots=True)
class CanaryMetric:
    """One metric of a canary's family at its latest look: the numbers that decided, and why.

    Latency and freshness: `shift` is the Hodges-Lehmann shift as a relative change (+0.18 is
    18 % slower), `shift_low`/`shift_high` the interval that inverts the test at the look's
    `boundary` (None: unbounded), `margin` the relative margin in force (the floor included),
    `z` the margin-shifted Mann-Whitney z, `needed` the minimum samples per arm. Counts:
    `margin` is the allowed rate ratio, `boundary` the Bayes factor threshold m/α,
    `ratio_high` the confidence sequence's upper end as a rate ratio (None: unbounded).
    """

    name: str  # "checkout › place order latency"
    journey: str
    engine: Engine
    step: str | None
    kind: CanaryMetricKind
    baseline: CanaryArmFigures
    candidate: CanaryArmFigures
    look: int
    classification: CanaryClass
    reason: str
    margin: float
    boundary: float
    shift: float | None = None
    shift_low: float | None = None
    shift_high: float | None = None
    z: float | None = None
    needed: int | None = None
    bayes_factor: float | None = None
    ratio_high: float | None = None
    threshold_s: float | None = None  # the slow share's latency threshold


@dataclass(frozen=True, slots=True)
class CanaryDistribution:
    """One step (None: the journey end to end) on both arms, side by side, passed runs only."""

    step: str | None
    baseline: Percentiles
    candidate: Percentiles


@dataclass(frozen=True, slots=True)
class CanaryComparison:
    """One journey on one engine, baseline against candidate: its metrics and its SLOs."""

    journey: str
    engine: Engine
    classification: CanaryClass  # the worst of its metrics
    reason: str  # the deciding line: the first metric rolled back, short or undecided
    baseline_verdict: JourneyVerdict  # each arm against the journey's SLO
    candidate_verdict: JourneyVerdict
    slo_note: str  # "both arms miss the SLO", "the candidate alone misses the SLO", ""
    metrics: tuple[CanaryMetric, ...]
    distributions: tuple[CanaryDistribution, ...] = ()


@dataclass(frozen=True, slots=True)
class CanarySection:
    """What a canary check adds: the plan, the decision with its reasons, every comparison.

    The document's `target` and `journeys` are the candidate's; the baseline's journey
    entries are here. `reasons` say the decision in words, the deciding ones first.
    """

    baseline: TargetInfo
    candidate: TargetInfo
    reasons: tuple[str, ...]
    looks: int  # planned
    looks_done: int
    iterations: int  # per arm per look
    warmup: int  # per arm, run and discarded
    alpha: float
    family_size: int  # m: each metric is tested at alpha / m
    margins: Mapping[str, float]  # latency, freshness, floor_s, errors, slow
    boundaries: tuple[float, ...]  # c_1..c_K at alpha / m
    comparisons: tuple[CanaryComparison, ...]
    baseline_journeys: tuple[JourneyEntry, ...] = ()
    early: bool = False  # decided before the last planned look


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """The tool and version that wrote the document."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class ResultsDocument:
    """Everything one command measured and judged: the only thing outputs read."""

    schema: Literal[1]
    tool: ToolInfo
    command: Command
    target: TargetInfo
    started: str
    ended: str
    duration_s: float
    verdict: RunVerdict
    reason: str
    objectives: tuple[Objective, ...]
    journeys: tuple[JourneyEntry, ...]
    load: LoadSection | None = None
    canary: CanarySection | None = None
    confidence: float = 0.95  # of every objective's bound (`--confidence`)
    require_evidence: bool = False  # `--require-evidence`: a pass not shown exits 4
    command_line: str = ""  # as typed, secrets masked, paths relative to the working folder


def exit_code_of(document: ResultsDocument) -> ExitCode:
    """The exit code the command that wrote `document` ended with; `journey report` re-derives it.

    A pass with an objective met but not shown exits 4 under `--require-evidence`, else 0.
    """
    code = exit_code(document.verdict)
    if (
        code == ExitCode.OK
        and document.require_evidence
        and any(o.state == MET_NOT_SHOWN for o in document.objectives)
    ):
        return ExitCode.NOT_ENOUGH_EVIDENCE
    return code


def to_json(document: ResultsDocument) -> dict[str, Any]:
    """The document as JSON-ready data: dicts, lists, strings, numbers, booleans, None."""
    return {f.name: _dump(getattr(document, f.name)) for f in dataclasses.fields(document)}


def from_json(data: object) -> ResultsDocument:
    """Read results.json's data. Raises DocumentError for another schema or a bad field."""
    if not isinstance(data, dict) or "schema" not in data:
        raise DocumentError(f"not a journey results document (schema {SCHEMA_VERSION})")
    if data["schema"] != SCHEMA_VERSION:
        raise DocumentError(
            f"results schema {data['schema']!r}: this journey reads schema {SCHEMA_VERSION}"
        )
    document: ResultsDocument = _load_dataclass(ResultsDocument, data, "")
    return document


_T = TypeVar("_T")


def part_to_json(part: object) -> object:
    """Any part of a document (a LoadSection, a tuple of stages) as JSON-ready data."""
    return _dump(part)


def part_from_json(kind: type[_T], data: object, where: str = "") -> _T:
    """One part of a document read from JSON data, e.g. a ProbeRun from a timeline line."""
    return _load_dataclass(kind, data, where)


def _dump(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_dump(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _dump(item) for key, item in value.items()}
    return value


def _load(kind: Any, data: object, where: str) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        options = get_args(kind)
        if data is None and type(None) in options:
            return None
        problem = DocumentError(f"{where or 'document'}: unexpected {_cut(data)}")
        for option in options:
            if option is type(None):
                continue
            try:
                return _load(option, data, where)
            except DocumentError as exc:
                problem = exc  # the last option's complaint says the most
        raise problem
    if origin is Literal:
        if data not in get_args(kind):
            raise DocumentError(f"{where}: expected one of {get_args(kind)}, got {_cut(data)}")
        return data
    if origin is tuple:
        if not isinstance(data, list):
            raise DocumentError(f"{where}: expected a list, got {_cut(data)}")
        (item,) = get_args(kind)[:1]
        return tuple(_load(item, value, f"{where}[{i}]") for i, value in enumerate(data))
    if origin is Mapping or origin is dict:
        if not isinstance(data, dict):
            raise DocumentError(f"{where}: expected a mapping, got {_cut(data)}")
        _, item = get_args(kind)
        return {str(k): _load(item, v, f"{where}.{k}") for k, v in data.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _load_dataclass(kind, data, where)
    if kind is Any:
        return data
    return _load_scalar(kind, data, where)


def _load_dataclass(kind: type[_T], data: object, where: str) -> _T:
    if not isinstance(data, dict):
        raise DocumentError(f"{where or 'document'}: expected a mapping, got {_cut(data)}")
    hints = _hints(kind)
    values = {}
    for spec in dataclasses.fields(kind):  # type: ignore[arg-type]
        if spec.name in data:
            path = f"{where}.{spec.name}" if where else spec.name
            values[spec.name] = _load(hints[spec.name], data[spec.name], path)
        elif spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            raise DocumentError(f"{where or 'document'}: missing {spec.name!r}")
    return kind(**values)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(kind: type) -> dict[str, Any]:
    # get_type_hints evaluates every annotation string: ~30 µs a call, once per class here
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = get_type_hints(kind)
    return hints


def _load_scalar(kind: type, data: object, where: str) -> object:
    if kind is float and isinstance(data, int | float) and not isinstance(data, bool):
        return data  # JSON does not tell 2 from 2.0; keep what was written
    if kind is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if kind in (str, bool) and isinstance(data, kind):
        return data
    raise DocumentError(f"{where}: expected {kind.__name__}, got {_cut(data)}")


def _cut(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
