"""Power and false rollbacks of `journey canary`'s rule, beside fixed-horizon and Kayenta-style tests.

Simulates seeded canaries of the shipped checkout journey's family (http: journey latency,
place order latency, errors, slow share > 4 s; m = 4) under the default plan (12 looks × 75
runs per arm, warm-up 10, α 0.02, latency margin 10 %, floor 5 ms) through the real
FamilyJudge and `decide` (runner/slo/canary_simulation.py), and scores on the same samples the
peers: the margin-shifted z at the last look only (fixed horizon), the same z against z_{α/m}
at every look, and Kayenta-style Mann-Whitney without margin, two-sided at 0.98, every look.
The peers see the latency metrics only; the rule also rolls back on the count tests.

Arm models: (a) log-normal steps (σ 0.5, medians of a storefront), errors 0.5 %; (b) whole
runs resampled with replacement from checkouts recorded against a real demo shop on loopback.
Measures, for a shift of the place order step only, the share rolled back and the median look
of the rollback; the false-rollback share of identical canaries; the share rolled back of
single-metric canaries sitting exactly at their margin, with its standard error; and the wall
time of a real `journey canary` between two demo shops on loopback.

Goals: at the margin (+10 %) rolled back ≤ α/m + 3 standard errors (checkout family: α/m =
0.005; single metric: 0.02); identical arms rolled back ≤ 0.5 %; +21 % on place order rolled
back ≥ 85 %; +50 % on place order: median rollback look ≤ 4; the real canary < 40 s.

    .venv/bin/python bench/canary_power.py [--canaries 10000] [--quick] [--seed 20261201]
                                           [--record 300]
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.demoshop.process import running_demo_shop  # noqa: E402
from runner.engines.probe import new_client, run_http_journey  # noqa: E402
from runner.slo.canary import CanaryPlan, FamilyJudge, Margins  # noqa: E402
from runner.slo.canary_family import MetricSpec, family_of  # noqa: E402
from runner.slo.canary_simulation import Batch, LogNormalArm, Sampler, Tally, simulate  # noqa: E402
from runner.spec.loader import LoadedJourney, load_journeys  # noqa: E402
from runner.spec.target import Target  # noqa: E402
from runner.vocabulary import PASSED  # noqa: E402

# model (a): a storefront's step medians, seconds, in flow order
STOREFRONT = {
    "search": 0.6,
    "product page": 0.4,
    "add to cart": 0.5,
    "checkout form": 0.4,
    "place order": 0.8,
}
SIGMA = 0.5
ERROR_RATE = 0.005
STEP = "place order"
SHIFTS_A = (0.05, 0.10, 0.20, 0.21, 0.50)
SHIFTS_B = (0.10, 0.21, 0.50)
AT_MARGIN = 0.10
IDENTICAL_GOAL = 0.005
POWER_GOAL = 0.85
EARLY_LOOK_GOAL = 4
REAL_CANARY_GOAL_S = 40.0
RECORD_WARMUP = 10


@dataclass(frozen=True, slots=True)
class ResampledArm:
    """Whole recorded runs (journey seconds and each step's), drawn with replacement.

    A shift scales its step in every drawn run and adds the difference to the run's journey
    time, as a slower place order would. Recorded runs all passed: no run fails here.
    """

    durations: np.ndarray  # journey seconds per recorded run
    steps: Mapping[str, np.ndarray]  # step seconds per recorded run, same order
    shifts: Mapping[str, float] = field(default_factory=dict)

    def __call__(self, rng: np.random.Generator, n: int) -> Batch:
        rows = rng.integers(0, len(self.durations), n)
        latency = self.durations[rows].copy()
        steps = {}
        for step, seconds in self.steps.items():
            drawn = seconds[rows]
            shift = self.shifts.get(step, 0.0)
            if shift:
                latency += drawn * shift
                drawn = drawn * (1.0 + shift)
            steps[step] = drawn
        return Batch(latency, steps, np.zeros(n, dtype=bool))


def label(shift: float) -> str:
    """A row's name: "place order +10 %"."""
    return f"{STEP} {shift * 100:+.0f} %"


def se(share: float, n: int) -> float:
    """The standard error of a share measured over n canaries."""
    return math.sqrt(share * (1.0 - share) / n) if n else math.nan


def pct(share: float) -> str:
    return f"{share * 100:.2f} %"


def short_name(name: str) -> str:
    """ "checkout › place order latency" → "place order"; "checkout latency" → "journey"."""
    words = name.split(" › ", 1)[-1] if " › " in name else name.split(" ", 1)[-1]
    return {"latency": "journey", "slow share": "slow"}.get(words, words.removesuffix(" latency"))


def header() -> str:
    return (
        f"{'case':<22} {'canaries':>8} {'rolled back ± se':>18} {'median look':>11} "
        f"{'fixed horizon':>13} {'fixed z every look':>18} {'Kayenta':>8} "
        f"{'promoted early':>14}  rolled back on"
    )


def row(label: str, tally: Tally) -> str:
    share = tally.share(tally.rollbacks)
    look = tally.median_rollback_look
    on = ", ".join(f"{short_name(k)} {v}" for k, v in sorted(tally.rolled_back_on.items()))
    return (
        f"{label:<22} {tally.canaries:>8} {pct(share):>9} ± {pct(se(share, tally.canaries)):>6} "
        f"{'—' if look is None else f'{look:g}':>11} {pct(tally.share(tally.fixed_horizon)):>13} "
        f"{pct(tally.share(tally.fixed_every_look)):>18} {pct(tally.share(tally.kayenta)):>8} "
        f"{pct(tally.share(tally.early_promotions)):>14}  {on or '—'}"
    )


def run_rows(
    plan: CanaryPlan,
    family: Sequence[MetricSpec],
    baseline: Sampler,
    candidates: Sequence[tuple[str, Sampler]],
    canaries: int,
    seed: int,
) -> dict[str, Tally]:
    """One simulate() per candidate, the same seed for all (common random numbers), printed."""
    print(header())
    tallies: dict[str, Tally] = {}
    for label, candidate in candidates:
        t0 = time.perf_counter()
        tally = simulate(plan, family, baseline, candidate, canaries=canaries, seed=seed)
        elapsed = time.perf_counter() - t0
        tallies[label] = tally
        print(f"{row(label, tally)}   [{elapsed / canaries * 1000:.1f} ms/canary]", flush=True)
    return tallies


def describe_family(plan: CanaryPlan, family: Sequence[MetricSpec]) -> None:
    judge = FamilyJudge(plan, family)
    bounds = judge.boundaries
    print(
        f"family (m = {judge.m}): " + "; ".join(spec.name for spec in family) + f"\nplan: "
        f"{plan.looks} looks × {plan.iterations} per arm, warm-up {plan.warmup}, α {plan.alpha:g} "
        f"(α/m = {judge.level:g}: z boundary {bounds[0]:.2f} at look 1 … {bounds[-1]:.2f} at "
        f"look {plan.looks}; counts roll back at BF ≥ {judge.threshold:g}); margins latency "
        f"{plan.margins.latency * 100:g} %, floor {plan.margins.floor_s * 1000:g} ms, errors "
        f"{plan.margins.errors:g}×, slow {plan.margins.slow:g}×"
    )


def record_demo_runs(
    checkout: LoadedJourney, runs: int
) -> tuple[np.ndarray, dict[str, np.ndarray], int]:
    """Passed checkouts against a fresh demo shop on loopback: journey and step seconds."""
    names = [step.name for step in checkout.spec.http]
    durations: list[float] = []
    steps: dict[str, list[float]] = {name: [] for name in names}
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        with running_demo_shop(Path(folder), quiet=True) as base:
            target = Target.single(base)
            with new_client() as client:
                for index in range(RECORD_WARMUP + runs):
                    run = run_http_journey(checkout, target, index, client=client)
                    if index < RECORD_WARMUP:
                        continue
                    if run.outcome != PASSED:
                        failures += 1
                        continue
                    durations.append(run.duration_s)
                    by_name = {step.step: step.duration_s for step in run.steps}
                    for name in names:
                        steps[name].append(by_name[name])
    return np.array(durations), {k: np.array(v) for k, v in steps.items()}, failures


def real_canary() -> tuple[float, int, str]:
    """`journey canary` of the checkout between two fresh demo shops: seconds, exit code, verdict."""
    with (
        tempfile.TemporaryDirectory() as one,
        tempfile.TemporaryDirectory() as two,
        tempfile.TemporaryDirectory() as out,
    ):
        with (
            running_demo_shop(Path(one), quiet=True) as baseline,
            running_demo_shop(Path(two), quiet=True) as candidate,
        ):
            for url in (baseline, candidate):
                httpx.get(f"{url}/health", timeout=5).raise_for_status()
            command = [
                sys.executable, "-m", "runner", "canary", str(ROOT / "journeys/checkout.yaml"),
                "--baseline", baseline, "--candidate", candidate, "--looks", "12",
                "--iterations", "75", "--seed", "1", "--quiet", "--out", out,
            ]  # fmt: skip
            t0 = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
            elapsed = time.perf_counter() - t0
    verdict = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return elapsed, done.returncode, verdict[0] if verdict else ""


def goal(name: str, ok: bool, shown: str) -> bool:
    print(f"{'PASS' if ok else 'MISS'}  {name}: {shown}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--canaries",
        type=int,
        default=10_000,
        help="canaries of each false-rollback run; each power row runs a fifth of it",
    )
    parser.add_argument("--quick", action="store_true", help="10× fewer canaries: a smoke run")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--record", type=int, default=300, help="demo-shop runs to resample")
    args = parser.parse_args()
    null_n = max(args.canaries // (10 if args.quick else 1), 1)
    power_n = max(null_n // 5, 1)
    started = time.perf_counter()

    (checkout,) = load_journeys([str(ROOT / "journeys/checkout.yaml")])
    family = family_of(checkout.spec, "http")
    plan = CanaryPlan()
    judge = FamilyJudge(plan, family)
    level = judge.level
    print(f"canaries: {null_n} per false-rollback run, {power_n} per power row; seed {args.seed}")
    describe_family(plan, family)
    slow_s = next(spec.threshold_s for spec in family if spec.kind == "slow")
    print(
        "peers (latency metrics only, on the same samples): fixed horizon = the margin-shifted "
        "z ≥ z_{α/m} at the last look; fixed z every look = the same at any look; Kayenta = "
        "Mann-Whitney, no margin, two-sided 0.98, any look"
    )
    print("a shift is of the place order step only; the journey latency moves by its share")

    # --- (a) log-normal storefront
    baseline_a = LogNormalArm(STOREFRONT, sigma=SIGMA, error_rate=ERROR_RATE)
    journey_s = baseline_a(np.random.default_rng(args.seed), 200_000).latency
    print(
        "\n(a) log-normal storefront: step medians "
        + ", ".join(f"{k} {v:g} s" for k, v in STOREFRONT.items())
        + f"; σ {SIGMA:g}; errors {ERROR_RATE * 100:g} %\n    journey latency median "
        f"{np.median(journey_s):.2f} s, p95 {np.quantile(journey_s, 0.95):.2f} s, slow share "
        f"(> {slow_s:g} s) {np.mean(journey_s > slow_s) * 100:.1f} %; margins in effect 10 % (the 5 ms "
        f"floor is < 1 % of every median)"
    )

    def shifted_a(shift: float) -> LogNormalArm:
        return LogNormalArm(STOREFRONT, sigma=SIGMA, error_rate=ERROR_RATE, shifts={STEP: shift})

    power_a = run_rows(
        plan,
        family,
        baseline_a,
        [(label(shift), shifted_a(shift)) for shift in SHIFTS_A],
        power_n,
        args.seed,
    )
    identical = run_rows(
        plan, family, baseline_a, [("identical arms", baseline_a)], null_n, args.seed + 1
    )["identical arms"]

    # --- single metric at its margin
    single_family = [MetricSpec("sim", "http", "latency")]
    single_plan = CanaryPlan(margins=Margins(floor_s=0.0))
    single_level = FamilyJudge(single_plan, single_family).level
    print(
        f"\nsingle metric (m = 1, α/m = {single_level:g}, floor 0): one step, median 1 s, σ "
        f"{SIGMA:g}, no errors; the candidate exactly at the margin (+10 %)"
    )
    single = run_rows(
        single_plan,
        single_family,
        LogNormalArm({"step": 1.0}, sigma=SIGMA),
        [("at the margin +10 %", LogNormalArm({"step": 1.0}, sigma=SIGMA, shifts={"step": 0.1}))],
        null_n,
        args.seed + 2,
    )["at the margin +10 %"]

    # --- (b) resampled from the demo shop
    t0 = time.perf_counter()
    durations, steps, failures = record_demo_runs(checkout, args.record)
    record_s = time.perf_counter() - t0
    medians = {name: float(np.median(values)) for name, values in steps.items()}
    journey_median = float(np.median(durations))
    floor_s = plan.margins.floor_s
    in_effect = {
        "journey": max(plan.margins.latency, floor_s / journey_median),
        STEP: max(plan.margins.latency, floor_s / medians[STEP]),
    }
    print(
        f"\n(b) resampled from the demo shop: {len(durations)} passed checkouts recorded on "
        f"loopback in {record_s:.1f} s ({failures} failed, left out; {RECORD_WARMUP} warm-up "
        f"first); whole runs drawn with replacement\n    step medians "
        + ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in medians.items())
        + f"; journey median {journey_median * 1000:.2f} ms, p95 "
        f"{np.quantile(durations, 0.95) * 1000:.2f} ms\n    the 5 ms floor dominates the "
        f"margin: in effect ≈ {in_effect['journey'] * 100:+.0f} % on journey latency and "
        f"{in_effect[STEP] * 100:+.0f} % on place order (5 ms / the warm-up median), so every shift "
        f"below is within the margin and the rule should promote"
    )
    baseline_b = ResampledArm(durations, steps)
    b_candidates = [
        (label(shift), ResampledArm(durations, steps, {STEP: shift})) for shift in SHIFTS_B
    ]
    power_b = run_rows(plan, family, baseline_b, b_candidates, power_n, args.seed + 3)
    floorless = CanaryPlan(margins=Margins(floor_s=0.0))
    print(
        "(b0) the same runs with floor 0 (not the shipped plan): margins 10 %, so +10 % is at "
        "the margin"
    )
    power_b0 = run_rows(floorless, family, baseline_b, b_candidates, power_n, args.seed + 3)

    # --- a real canary
    seconds, code, verdict = real_canary()
    print(
        f"\nreal canary: `journey canary journeys/checkout.yaml --looks 12 --iterations 75 "
        f"--seed 1` between two demo shops on loopback: {seconds:.1f} s, exit {code}\n    "
        f"{verdict}"
    )

    # --- goals
    at_margin = power_a[label(AT_MARGIN)]
    power_21 = power_a[label(0.21)]
    power_50 = power_a[label(0.50)]
    print(f"\ngoals (simulations took {time.perf_counter() - started - seconds:.0f} s)")
    results = []
    for name, tally, nominal in (
        (f"checkout family, {STEP} +10 % (at its margin)", at_margin, level),
        ("single metric at its margin", single, single_level),
    ):
        share = tally.share(tally.rollbacks)
        error = se(share, tally.canaries)
        results.append(
            goal(
                name + f" rolled back ≤ α/m + 3 se = {pct(nominal + 3 * error)}",
                share <= nominal + 3 * error,
                f"{pct(share)} ± {pct(error)} (α/m = {pct(nominal)}; fixed z every look "
                f"{pct(tally.share(tally.fixed_every_look))}, Kayenta {pct(tally.share(tally.kayenta))})",
            )
        )
    share = identical.share(identical.rollbacks)
    results.append(
        goal(
            f"identical arms rolled back ≤ {pct(IDENTICAL_GOAL)}",
            share <= IDENTICAL_GOAL,
            f"{pct(share)} ± {pct(se(share, identical.canaries))} over {identical.canaries} "
            f"(fixed z every look {pct(identical.share(identical.fixed_every_look))}, Kayenta "
            f"{pct(identical.share(identical.kayenta))})",
        )
    )
    share = power_21.share(power_21.rollbacks)
    results.append(
        goal(
            f"{STEP} +21 % rolled back ≥ {POWER_GOAL * 100:g} %",
            share >= POWER_GOAL,
            f"{pct(share)} ± {pct(se(share, power_21.canaries))} (fixed horizon "
            f"{pct(power_21.share(power_21.fixed_horizon))})",
        )
    )
    look = power_50.median_rollback_look
    results.append(
        goal(
            f"{STEP} +50 % median rollback look ≤ {EARLY_LOOK_GOAL}",
            look is not None and look <= EARLY_LOOK_GOAL,
            f"look {'—' if look is None else f'{look:g}'} of {plan.looks}",
        )
    )
    results.append(
        goal(
            f"real canary < {REAL_CANARY_GOAL_S:g} s",
            seconds < REAL_CANARY_GOAL_S,
            f"{seconds:.1f} s, exit {code}",
        )
    )
    b0 = power_b0[label(AT_MARGIN)]
    share = b0.share(b0.rollbacks)
    print(
        f"note  (b0) floor 0, {STEP} +10 % (at its margin, real shape, resampled): rolled back "
        f"{pct(share)} ± {pct(se(share, b0.canaries))} (α/m = {pct(level)})"
    )
    rolled_b = sum(t.rollbacks for t in power_b.values())
    print(
        f"note  (b) with the 5 ms floor: {rolled_b} rollbacks in {len(power_b) * power_n} "
        f"canaries of +10 %…+50 % on place order: on a shop this fast the floor, not the "
        f"statistics, decides"
    )
    print(f"{sum(results)} of {len(results)} goals met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
