"""Soak of `journey serve`: memory, schedule delay, scrape time, and CPU per probe beside blackbox_exporter.

`journey serve` is a long-running daemon: what matters is that it stays flat (memory), keeps
its schedule (runs start when planned), answers Prometheus quickly however many series it
holds, and costs little CPU per probe. One serve on loopback probes a demo shop with 10 http
journeys every second (each a GET of a cheap shop API route) and one browser journey every
10 s (goto / and expect the search box), `--engine all`, for --minutes. Measured:

1. resident memory (RSS) of the serve process after a 30 s warm-up and at the end;
2. `journey_schedule_delay_seconds{engine="http"}` at the end: the p99 as a bucket bound (the
   smallest `le` holding ≥ 99 % of run starts), with the runs and skipped runs;
3. the time of 50 GETs of /metrics from a second, separate serve of 50 journeys × 10 steps
   (every 30 s, http, same shop), once every journey has run;
4. CPU (user + system) per http probe of serve, and of Prometheus's blackbox_exporter driven
   during the soak, in the same window, with the same 10 GETs a second (its /probe endpoint,
   module http_2xx, called from a thread of this script). blackbox_exporter is the peer because
   it is what Prometheus users run for synthetic http probes: a Go process doing one request
   and formatting its metrics per probe. Serve does more per probe (a schedule, the SQLite
   history, budgets, step histograms); the ratio says what that costs.

Serve's CPU is its own process only (Chromium and Playwright's driver are child processes, not
counted) but that process also runs the browser journey's Python side (Playwright's client).
That share is measured apart, by a third serve probing the browser journey alone, and
subtracted; both figures are printed. The share subtracted includes that serve's idle cost
(main loop, budgets refresh), so the subtracted figure is, if anything, a little low.

Goals: RSS growth < 10 %; schedule delay p99 < 100 ms (read as "the p99 bucket's bound is at
most 0.1 s": buckets cannot tell < from =); /metrics median and p95 < 50 ms. The CPU ratio has
no goal: it is reported. Exit 0 whether goals are met or not (a benchmark); 1 when a process
would not start or died; 130 when interrupted. Everything runs on 127.0.0.1 and is stopped by its pid at the end, on Ctrl-C and
on SIGTERM. Needs Chromium (Debian: /usr/bin/chromium) and prometheus-blackbox-exporter.

    .venv/bin/python bench/serve_soak.py [--minutes 10] [--out FIGURES.json]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runner.demoshop.process import free_port, running_demo_shop  # noqa: E402

BLACKBOX = Path("/usr/bin/prometheus-blackbox-exporter")
# cheap shop routes an http journey GETs (not /health: that is the shop's ops route, not a
# shopper's); /api/products?q=shoe finds nothing, quickly, and answers 200
HTTP_PATHS = (
    "/api/products?q=shoe",
    "/api/products?q=mug",
    "/api/products?category=home",
    "/api/products?page=2&page_size=5",
    "/api/products/SKU-00001",
    "/api/products/SKU-00002",
    "/api/stock/SKU-00001",
    "/api/stock/SKU-00003",
    "/api/cart",
    "/api/products?q=lamp",
)
WARMUP_S = 30.0
SCRAPE_JOURNEYS, SCRAPE_STEPS, SCRAPES = 50, 10, 50
BROWSER_WINDOW_S = 40.0  # four runs of the browser journey, measured apart
HEALTHY_S = 60.0  # serve launches Chromium before /healthz answers
STOP_S = 30.0
RSS_GROWTH_GOAL = 0.10
DELAY_P99_GOAL_S = 0.100
SCRAPE_GOAL_S = 0.050

HTTP_JOURNEY = """\
journey: {name}
channel: web
timeout: 2s
schedule: {{every: {every}}}
slo: {{success: 99%, latency: {{p95: 1s}}, steps: {{{first}: {{p95: 500ms}}}}}}
http:
"""
HTTP_STEP = """\
  - name: {step}
    request: {{url: "{path}"}}
    expect: {{status: 200}}
"""
BROWSER_JOURNEY = """\
journey: soak-browser
channel: web
timeout: 20s
schedule: {every: 10s}
slo: {success: 99%, latency: {p95: 5s}}
browser:
  - name: home
    goto: /
    expect: {visible: "#q"}
"""
BLACKBOX_CONFIG = """\
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
"""


def write_http_journey(folder: Path, name: str, paths: Sequence[str], every: str) -> None:
    """One http journey GETting `paths` in order, each expecting 200, on its own schedule."""
    steps = [f"step {i + 1:02d}" if len(paths) > 1 else "get" for i in range(len(paths))]
    text = HTTP_JOURNEY.format(name=name, every=every, first=steps[0])
    text += "".join(HTTP_STEP.format(step=s, path=p) for s, p in zip(steps, paths, strict=True))
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def write_soak_journeys(folder: Path) -> tuple[Path, Path]:
    """The soak's 10 http journeys (every 1 s) and its browser journey (every 10 s)."""
    soak, browser = folder / "soak", folder / "browser"
    soak.mkdir()
    browser.mkdir()
    for index, path in enumerate(HTTP_PATHS):
        write_http_journey(soak, f"soak-{index + 1:02d}", [path], "1s")
    for where in (soak, browser):  # the browser one also alone, to measure its share
        (where / "soak-browser.yaml").write_text(BROWSER_JOURNEY, encoding="utf-8")
    return soak, browser


def write_scrape_journeys(folder: Path) -> Path:
    """50 journeys of 10 http steps each, every 30 s: many series, few runs."""
    scrape = folder / "scrape"
    scrape.mkdir()
    for index in range(SCRAPE_JOURNEYS):
        paths = [HTTP_PATHS[(index + step) % len(HTTP_PATHS)] for step in range(SCRAPE_STEPS)]
        write_http_journey(scrape, f"scrape-{index + 1:02d}", paths, "30s")
    return scrape


# -- processes ------------------------------------------------------------------------------


@contextlib.contextmanager
def started(command: Sequence[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command`, its output in `log`; on exit stop it by pid: SIGTERM, then SIGKILL."""
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    """Return once `url` answers 200. Raises RuntimeError (with the log's tail) if it never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{url} not answering (exit {proc.poll()}):\n{tail}")


@contextlib.contextmanager
def running_serve(
    journeys: Path, shop: str, folder: Path, name: str, engine: str
) -> Iterator[tuple[str, psutil.Process]]:
    """`journey serve` on `journeys` against `shop`, history in `folder`; its URL and process."""
    port = free_port()
    command = [
        sys.executable, "-m", "runner", "serve", str(journeys), "--target", shop,
        "--engine", engine, "--host", "127.0.0.1", "--port", str(port),
        "--db", str(folder / f"{name}.db"),
    ]  # fmt: skip
    log = folder / f"{name}.log"
    with started(command, log) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/healthz", proc, log, HEALTHY_S)
        try:
            yield url, psutil.Process(proc.pid)
        except RuntimeError as exc:  # serve exited, or made too few runs: say what it logged
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{exc}; {name} serve's log ends:\n{tail}") from None


@contextlib.contextmanager
def running_blackbox(folder: Path) -> Iterator[tuple[str, psutil.Process]]:
    """blackbox_exporter with an http_2xx module on a free port; its URL and process."""
    config = folder / "blackbox.yml"
    config.write_text(BLACKBOX_CONFIG, encoding="utf-8")
    port = free_port()
    command = [str(BLACKBOX), f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"]
    log = folder / "blackbox.log"
    with started(command, log) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/-/healthy", proc, log, 20)
        yield url, psutil.Process(proc.pid)


def cpu_s(process: psutil.Process) -> float:
    """User + system CPU seconds of the process itself (not its children)."""
    times = process.cpu_times()
    return float(times.user + times.system)


# -- what serve says ------------------------------------------------------------------------


def metrics(url: str) -> str:
    return httpx.get(f"{url}/metrics", timeout=10).text


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """(labels, value) of every sample called `name` in a scrape's text."""
    return [
        (dict(sample.labels), float(sample.value))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def by_label(text: str, name: str, label: str, **match: str) -> dict[str, float]:
    """`name`'s samples matching `match`, summed by the value of `label`."""
    sums: dict[str, float] = {}
    for labels, value in samples(text, name):
        if all(labels.get(k) == v for k, v in match.items()):
            sums[labels.get(label, "")] = sums.get(labels.get(label, ""), 0.0) + value
    return sums


def runs_of(text: str, engine: str) -> float:
    """Scheduled runs and rechecks of `engine` so far: the probes serve made."""
    runs = sum(by_label(text, "journey_runs_total", "result", engine=engine).values())
    return runs + sum(by_label(text, "journey_rechecks_total", "result", engine=engine).values())


def bucket_p99(buckets: dict[str, float]) -> tuple[float, float]:
    """The smallest `le` holding ≥ 99 % of the cumulative count (inf if none), and the count."""
    bounds = sorted((float(le), n) for le, n in buckets.items())
    total = bounds[-1][1] if bounds else 0.0
    for le, n in bounds:
        if n >= 0.99 * total:
            return le, total
    return math.inf, total


# -- the blackbox peer ----------------------------------------------------------------------


class BlackboxDriver(threading.Thread):
    """Calls blackbox_exporter's /probe for each of `targets` once a second, spread evenly.

    Serve phases its 10 journeys apart within the second; so does this, one probe every
    100 ms in turn. A probe is counted done when /probe answered; failed when it did not say
    `probe_success 1` (the target did not answer 2xx).
    """

    def __init__(self, exporter: str, targets: Sequence[str]) -> None:
        super().__init__(name="blackbox driver", daemon=True)
        self.exporter = exporter
        self.targets = list(targets)
        self.done = 0
        self.failed = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        gap_s = 1.0 / len(self.targets)
        due = time.monotonic()
        with httpx.Client(timeout=10) as client:
            for index in itertools.count():
                if self.stopping.wait(max(0.0, due - time.monotonic())):
                    return
                target = self.targets[index % len(self.targets)]
                params = {"module": "http_2xx", "target": target}
                try:
                    text = client.get(f"{self.exporter}/probe", params=params).text
                except httpx.HTTPError:
                    text = ""
                self.done += 1
                self.failed += "probe_success 1" not in text
                due += gap_s


# -- measurements ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Soak:
    """What the soak measured: serve's memory and schedule, both probers' CPU per probe."""

    seconds: float
    window_s: float  # the CPU and memory window: after the warm-up to the end
    rss_warm_b: int
    rss_end_b: int
    delay_p99_s: float  # a bucket bound
    delay_starts: float
    delay_over_100ms: float  # share of http starts later than 100 ms
    runs: dict[str, float]  # http runs by result
    browser_runs: dict[str, float]
    skipped: dict[str, float]  # by reason, all engines
    most_in_flight: dict[str, int]
    serve_cpu_s: float
    serve_http_probes: float
    serve_browser_runs: float
    blackbox_cpu_s: float
    blackbox_probes: int
    blackbox_failed: int


@dataclass(frozen=True, slots=True)
class Window:
    """One end of the measuring window: serve's RSS, both CPU times, probes so far."""

    rss_b: int
    serve_cpu_s: float
    blackbox_cpu_s: float
    http_probes: float
    browser_runs: float
    blackbox_probes: int
    blackbox_failed: int


def window_edge(
    url: str,
    serve: psutil.Process,
    blackbox: psutil.Process,
    driver: BlackboxDriver,
    *,
    opening: bool,
) -> Window:
    """Where things stand; this bench's own scrape of serve is kept out of the window."""
    text = metrics(url) if opening else ""
    rss_b, serve_cpu, blackbox_cpu = serve.memory_info().rss, cpu_s(serve), cpu_s(blackbox)
    done, failed = driver.done, driver.failed
    text = text or metrics(url)
    http, browser = runs_of(text, "http"), runs_of(text, "browser")
    return Window(rss_b, serve_cpu, blackbox_cpu, http, browser, done, failed)


def sleep_until(deadline: float, *processes: psutil.Process) -> None:
    """Sleep to `deadline` (monotonic), checking each second that `processes` still run."""
    while (left := deadline - time.monotonic()) > 0:
        for process in processes:
            if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                raise RuntimeError(f"{process.name()} (pid {process.pid}) exited during the soak")
        time.sleep(min(1.0, left))


def measure_soak(journeys: Path, shop: str, folder: Path, seconds: float) -> Soak:
    """The soak: one serve (http + browser) and blackbox_exporter, side by side."""
    targets = [f"{shop}{path}" for path in HTTP_PATHS]
    with (
        running_serve(journeys, shop, folder, "soak", "all") as (url, serve),
        running_blackbox(folder) as (exporter, blackbox),
    ):
        driver = BlackboxDriver(exporter, targets)
        driver.start()
        try:
            t0 = time.monotonic()
            sleep_until(t0 + WARMUP_S, serve, blackbox)
            first = window_edge(url, serve, blackbox, driver, opening=True)
            started_s = time.monotonic()
            sleep_until(t0 + seconds, serve, blackbox)
            last = window_edge(url, serve, blackbox, driver, opening=False)
            window_s = time.monotonic() - started_s
        finally:
            driver.stopping.set()
            driver.join(10)
        text = metrics(url)
        delay = by_label(text, "journey_schedule_delay_seconds_bucket", "le", engine="http")
        p99, starts = bucket_p99(delay)
        within = delay.get("0.1", 0.0)
        health = httpx.get(f"{url}/healthz", timeout=5).json()
        return Soak(
            seconds=seconds,
            window_s=window_s,
            rss_warm_b=first.rss_b,
            rss_end_b=last.rss_b,
            delay_p99_s=p99,
            delay_starts=starts,
            delay_over_100ms=1 - within / starts if starts else math.nan,
            runs=by_label(text, "journey_runs_total", "result", engine="http"),
            browser_runs=by_label(text, "journey_runs_total", "result", engine="browser"),
            skipped=by_label(text, "journey_skipped_total", "reason"),
            most_in_flight=dict(health.get("most_in_flight", {})),
            serve_cpu_s=last.serve_cpu_s - first.serve_cpu_s,
            serve_http_probes=last.http_probes - first.http_probes,
            serve_browser_runs=last.browser_runs - first.browser_runs,
            blackbox_cpu_s=last.blackbox_cpu_s - first.blackbox_cpu_s,
            blackbox_probes=last.blackbox_probes - first.blackbox_probes,
            blackbox_failed=last.blackbox_failed - first.blackbox_failed,
        )


def wait_for_runs(url: str, engine: str, runs: float, timeout_s: float) -> None:
    """Return once serve has made `runs` runs of `engine`. Raises RuntimeError past the bound."""
    deadline = time.monotonic() + timeout_s
    while runs_of(metrics(url), engine) < runs:
        if time.monotonic() > deadline:
            raise RuntimeError(f"serve at {url} made fewer than {runs:g} {engine} runs")
        time.sleep(0.5)


@dataclass(frozen=True, slots=True)
class Scrape:
    """GET /metrics of a serve holding 50 journeys × 10 steps: seconds per scrape, its size."""

    median_s: float
    p95_s: float
    cpu_s: float  # serve's CPU per scrape, the few probe runs meanwhile included
    lines: int
    size_b: int


def measure_scrape(journeys: Path, shop: str, folder: Path) -> Scrape:
    """50 timed GETs of /metrics, once every journey of the second serve has run once."""
    with running_serve(journeys, shop, folder, "scrape", "http") as (url, serve):
        wait_for_runs(url, "http", SCRAPE_JOURNEYS, timeout_s=90)
        times: list[float] = []
        cpu0 = cpu_s(serve)
        with httpx.Client(timeout=10) as client:
            for _ in range(SCRAPES):
                t0 = time.perf_counter()
                text = client.get(f"{url}/metrics").text
                times.append(time.perf_counter() - t0)
        cpu = (cpu_s(serve) - cpu0) / SCRAPES
    p95 = statistics.quantiles(times, n=100, method="inclusive")[94]  # nearest ranks, interpolated
    return Scrape(statistics.median(times), p95, cpu, text.count("\n"), len(text.encode()))


def measure_browser_share(journeys: Path, shop: str, folder: Path) -> tuple[float, float]:
    """Serve's own CPU seconds per browser run, the browser journey probed alone; and its runs."""
    with running_serve(journeys, shop, folder, "browser", "browser") as (url, serve):
        wait_for_runs(url, "browser", 1, timeout_s=60)  # the first run warms the page up
        runs0, cpu0 = runs_of(metrics(url), "browser"), cpu_s(serve)
        sleep_until(time.monotonic() + BROWSER_WINDOW_S, serve)
        cpu, runs = cpu_s(serve) - cpu0, runs_of(metrics(url), "browser") - runs0
        return (cpu / runs if runs else math.nan), runs


# -- the report -----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if math.isfinite(seconds) else "+Inf"


def counts(by: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:g}" for k, v in sorted(by.items())) or "none"


def report(soak: Soak, scrape: Scrape, browser_s: float, browser_runs: float) -> dict[str, float]:
    """Print the table and the ratio line; return the CPU figures for --out."""
    growth = soak.rss_end_b / soak.rss_warm_b - 1
    serve_all = soak.serve_cpu_s / soak.serve_http_probes
    serve_http = (soak.serve_cpu_s - browser_s * soak.serve_browser_runs) / soak.serve_http_probes
    blackbox = soak.blackbox_cpu_s / soak.blackbox_probes
    mib = 1024 * 1024
    rows = [
        (f"serve RSS growth (+{WARMUP_S:g} s → end)", f"{growth * 100:+.1f} % "
         f"({soak.rss_warm_b / mib:.1f} → {soak.rss_end_b / mib:.1f} MiB)", "< 10 %",
         growth < RSS_GROWTH_GOAL),
        ("schedule delay p99, http (a bucket bound)", f"≤ {ms(soak.delay_p99_s)} of "
         f"{soak.delay_starts:g} starts ({soak.delay_over_100ms * 100:.2f} % > 100 ms)",
         "≤ 100 ms", soak.delay_p99_s <= DELAY_P99_GOAL_S),
        (f"/metrics median, {SCRAPE_JOURNEYS}×{SCRAPE_STEPS} steps", f"{ms(scrape.median_s)} "
         f"({scrape.lines} lines, {scrape.size_b / 1024:.0f} KiB)", "< 50 ms",
         scrape.median_s < SCRAPE_GOAL_S),
        (f"/metrics p95 of {SCRAPES}", f"{ms(scrape.p95_s)} (serve CPU {ms(scrape.cpu_s)} a "
         "scrape)", "< 50 ms", scrape.p95_s < SCRAPE_GOAL_S),
        ("http runs by result", counts(soak.runs), "—", None),
        ("browser runs by result", counts(soak.browser_runs), "—", None),
        ("skipped runs by reason", counts(soak.skipped), "—", None),
        ("most in flight", counts({k: float(v) for k, v in soak.most_in_flight.items()}), "—", None),
        ("serve CPU per http probe", f"{ms(serve_http)} ({ms(serve_all)} with the browser's "
         "share)", "—", None),
        ("blackbox_exporter CPU per probe", f"{ms(blackbox)} ({soak.blackbox_probes} probes, "
         f"{soak.blackbox_failed} failed)", "—", None),
    ]  # fmt: skip
    width, measured_width = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    print(f"\n{'figure':<{width}} | {'measured':<{measured_width}} | {'goal':<8} | met?")
    print(f"{'-' * width}-+-{'-' * measured_width}-+-{'-' * 8}-+-----")
    for figure, measured, goal, met in rows:
        shown = "—" if met is None else "yes" if met else "NO"
        print(f"{figure:<{width}} | {measured:<{measured_width}} | {goal:<8} | {shown}")
    print(
        f"\nCPU window: {soak.window_s:.0f} s after a {WARMUP_S:g} s warm-up; "
        f"serve {soak.serve_http_probes:g} http probes + {soak.serve_browser_runs:g} browser runs "
        f"in {soak.serve_cpu_s:.2f} CPU s, blackbox_exporter {soak.blackbox_probes} probes in "
        f"{soak.blackbox_cpu_s:.2f} CPU s.\nServe's figure is its process only (not Chromium nor "
        f"Playwright's driver) and includes its scheduler, SQLite history, budgets and metrics; "
        f"the browser journey's Python side was measured apart ({ms(browser_s)} of serve CPU per "
        f"run over {browser_runs:g} runs of a browser-only serve, its idle included) and "
        f"subtracted ({soak.serve_browser_runs:g} runs)."
    )
    print(
        f"ratio serve / blackbox_exporter, CPU per http probe: {serve_http / blackbox:.2f} "
        f"(browser's share subtracted; {serve_all / blackbox:.2f} with it)"
    )
    goals_met = sum(1 for row in rows if row[3])
    print(f"{goals_met} of {sum(1 for row in rows if row[3] is not None)} goals met")
    return {
        "rss_growth": growth,
        "serve_cpu_per_http_probe_s": serve_http,
        "serve_cpu_per_http_probe_with_browser_s": serve_all,
        "blackbox_cpu_per_probe_s": blackbox,
        "browser_run_cpu_s": browser_s,
        "ratio": serve_http / blackbox,
        "goals_met": goals_met,
    }


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM unwinds like Ctrl-C, so every process started is stopped by its pid
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="the soak's length")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    seconds = args.minutes * 60
    if seconds < WARMUP_S + 15:
        parser.error(f"--minutes: at least {(WARMUP_S + 15) / 60:g}, the warm-up is {WARMUP_S:g} s")
    if not BLACKBOX.exists():
        print(f"{BLACKBOX} not found: apt-get install -y prometheus-blackbox-exporter")
        return 2
    for signum in (signal.SIGINT, signal.SIGTERM):  # SIGINT too: a background job ignores it
        signal.signal(signum, _interrupt)
    started_at = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="serve-soak-") as name:
            folder = Path(name)
            soak_journeys, browser_journey = write_soak_journeys(folder)
            scrape_journeys = write_scrape_journeys(folder)
            with running_demo_shop(folder, quiet=True) as shop:
                print(f"soak: {len(HTTP_PATHS)} http journeys every 1 s + 1 browser every 10 s "
                      f"against {shop}, {seconds:g} s", flush=True)  # fmt: skip
                soak = measure_soak(soak_journeys, shop, folder, seconds)
                print("scrape: a second serve of 50 journeys × 10 steps", flush=True)
                scrape = measure_scrape(scrape_journeys, shop, folder)
                print("browser share: the browser journey alone", flush=True)
                browser_s, browser_runs = measure_browser_share(browser_journey, shop, folder)
    except KeyboardInterrupt:
        print("interrupted: everything started was stopped", file=sys.stderr)
        return 130
    except RuntimeError as exc:  # a process that would not start, or died: no figures
        print(f"serve_soak: {exc}", file=sys.stderr)
        return 1
    cpu = report(soak, scrape, browser_s, browser_runs)
    print(f"(took {time.monotonic() - started_at:.0f} s)")
    if args.out is not None:
        figures = {"soak": asdict(soak), "scrape": asdict(scrape), "cpu": cpu}
        args.out.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
