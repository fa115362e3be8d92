"""serve's /metrics families: documented as served, bounded, exact at the SLO's thresholds."""

from __future__ import annotations

import math
import re
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from runner.commands.serve import tenant_labels
from runner.results import JourneyRun, StepResult
from runner.serve.budget import BURN_WINDOWS, Budget
from runner.serve.metrics import LABELS, ServeCollector, ServeState
from runner.serve.series import Series
from runner.serve.slis import slis_of
from runner.serve.tallies import Buckets, Tallies
from runner.spec import load_journey_text
from runner.spec.target import Target

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(journey_\w+)` \| (\w+) \| ([^|]*) \|", re.MULTILINE)
T0 = 1_800_000_000.0
JOURNEY = """\
journey: pay
slo: {success: 99.5%, latency: {p95: 1500ms}, steps: {charge: {p95: 700ms}}}
http:
  - name: charge
    request: {url: /pay}
"""


def rendered(runs: list[JourneyRun], budgets: list[Budget]) -> str:
    journey = load_journey_text(JOURNEY, path="pay.yaml").spec
    series = Series("pay", "http", "prod", "", "web")
    tallies = Tallies()
    tallies.keep([(series, journey)])
    for run in runs:
        tallies.add_run(series, run, recheck=False)
    tallies.add_skip(series, "bound")
    state = ServeState({"http": 1}, {"http": 8}, {"http": Buckets((0.01, 0.1))}, T0)
    collector = ServeCollector(tallies, lambda: budgets, lambda: state, location="eu")
    return collector.render().decode()


def run_of(duration: float, outcome: str = "passed") -> JourneyRun:
    step = StepResult("pay", "charge", "http", outcome, T0, duration)  # type: ignore[arg-type]
    return JourneyRun("pay", "http", 0, T0, duration, (step,))


def budget(burn: dict[str, float | None]) -> Budget:
    journey = load_journey_text(JOURNEY, path="pay.yaml").spec
    sli = slis_of(journey, "http")[0]
    series = Series("pay", "http", "prod", "", "web")
    events = {window: 0 if rate is None else 10 for window, rate in burn.items()}
    return Budget(series, sli, 30 * 86400.0, 9, 10, 0.9, -19.0, burn, events)


def parsed(text: str) -> list[tuple[str, str, tuple[tuple[str, str], ...], float]]:
    """Every sample with its family's type, in a stable order: what Prometheus reads."""
    return sorted(
        (f.type, s.name, tuple(sorted(s.labels.items())), s.value)
        for f in text_string_to_metric_families(text)
        for s in f.samples
    )


def test_every_family_is_documented_with_its_type_and_extra_labels() -> None:
    text = (ROOT / "docs" / "metrics.md").read_text().split("\n## journey serve\n")[1]
    text = text.split("\n## ")[0]
    documented = {
        name: (kind, set(re.findall(r"`(\w+)`", labels)) - {"busy", "bound", "missed"})
        for name, kind, labels in ROW.findall(text)
    }
    burn: dict[str, float | None] = dict.fromkeys(BURN_WINDOWS, 2.0)
    served = {}
    for family in text_string_to_metric_families(rendered([run_of(0.2)], [budget(burn)])):
        for sample in family.samples:
            if sample.name.endswith(("_bucket", "_count", "_sum")) and family.type == "histogram":
                name = family.name
            else:
                name = sample.name
            extra = set(sample.labels) - set(LABELS) - {"le"}
            served[name] = (family.type, extra)
    for name, (kind, extra) in served.items():
        assert name in documented, f"{name} is served but not in docs/metrics.md"
        doc_kind, doc_labels = documented[name]
        assert doc_kind == kind, name
        assert extra <= doc_labels, (name, extra, doc_labels)
    # the journey here has no until: step, so no freshness histogram: documented, not served
    assert set(documented) - set(served) == {"journey_freshness_seconds"}


def test_buckets_hold_the_slo_thresholds_and_count_a_sample_at_a_bound_within_it() -> None:
    text = rendered([run_of(0.7), run_of(0.71), run_of(1.5), run_of(2.0, "failed")], [])
    bounds = {
        (s.labels.get("step", ""), s.labels["le"]): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name.endswith("_bucket") and s.labels.get("journey") == "pay"
    }
    assert bounds[("charge", "0.7")] == 1  # 0.7 s is within a 700 ms bound, as the SLO reads it
    assert bounds[("charge", "1.0")] == 2
    assert bounds[("", "1.5")] == 3  # the journey's 1500 ms bound, exact
    assert bounds[("", "+Inf")] == 4  # the failed run is a latency sample too
    assert 'result="failure"' in text and 'location="eu"' in text


def test_a_window_without_events_has_no_burn_rate_series() -> None:
    burn: dict[str, float | None] = {"5m": None, "1h": 3.0}
    text = rendered([], [budget(burn)])
    windows = re.findall(r'journey_slo_burn_rate\{[^}]*window="(\w+)"', text)
    assert windows == ["1h"]


def test_tenants_beyond_the_cap_are_labelled_other() -> None:
    targets = [Target(f"t{i}", {"api": "http://x.test"}, tenant=f"acme{i}") for i in range(4)]
    targets.append(Target("shared", {"api": "http://y.test"}, tenant="acme0"))
    targets.append(Target("none", {"api": "http://z.test"}))
    labels = tenant_labels(targets, cap=2)
    assert labels == {
        "t0": "acme0",
        "t1": "acme1",
        "t2": "other",
        "t3": "other",
        "shared": "acme0",
        "none": "",
    }


def test_the_fast_exposition_holds_the_samples_generate_latest_writes() -> None:
    journey = load_journey_text(JOURNEY, path="pay.yaml").spec
    odd = Series("pay", "http", 'shop "eu"\\main', "line\nbreak", "web")
    tallies = Tallies()
    tallies.keep([(odd, journey)])
    tallies.add_run(odd, run_of(0.3), recheck=False)
    state = ServeState({"http": 0}, {"http": 8}, {}, None)
    burn: dict[str, float | None] = {"5m": math.inf, "1h": 0.25}
    registry = CollectorRegistry(auto_describe=False)
    collector = ServeCollector(tallies, lambda: [budget(burn)], lambda: state)
    registry.register(collector)

    fast = collector.render().decode()
    assert parsed(fast) == parsed(generate_latest(registry).decode())
    assert 'target="shop \\"eu\\"\\\\main"' in fast and 'tenant="line\\nbreak"' in fast


def test_a_scrape_after_a_run_or_a_new_budget_shows_it_though_unchanged_series_are_cached() -> None:
    journey = load_journey_text(JOURNEY, path="pay.yaml").spec
    first, second = (Series(name, "http", "prod", "", "web") for name in ("pay", "pay2"))
    tallies = Tallies()
    tallies.keep([(first, journey), (second, journey)])
    burns: list[Budget] = [budget({"1h": 1.0})]
    state = ServeState({"http": 0}, {"http": 8}, {}, None)
    registry = CollectorRegistry(auto_describe=False)
    collector = ServeCollector(tallies, lambda: burns, lambda: state)
    registry.register(collector)

    def runs(text: str, journey: str) -> float:
        found = [
            s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
            if s.name == "journey_runs_total" and s.labels["journey"] == journey
        ]
        return sum(found)

    before = collector.render().decode()
    assert runs(before, "pay") == runs(before, "pay2") == 0
    tallies.add_run(second, run_of(0.2), recheck=False)
    burns[0] = budget({"1h": 7.5})
    after = collector.render().decode()
    assert (runs(after, "pay"), runs(after, "pay2")) == (0, 1)
    assert 'window="1h"} 7.5' in after
    assert after.count("# TYPE journey_runs_total counter") == 1
    assert parsed(after) == parsed(generate_latest(registry).decode())
