"""Progress on long work: a live line on a terminal, a plain line every 10 s in a CI log.

`run` and `load` say how far they are while they work: runs done of the total, failures so far,
elapsed and remaining; for a rehearsal its stage, users, requests per second, error ratio and
p95. On a terminal the line is redrawn in place and gone once the summary prints; anywhere
else (a CI log, a pipe) it is printed as a plain line at most every `interval_s`, never
wrapped mid-line. `--quiet` shows none of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.live import Live
from rich.text import Text

if TYPE_CHECKING:
    from runner.engines.load.outcome import RehearsalOutcome

PLAIN_INTERVAL_S = 10.0
RECENT_S = 5  # a rehearsal's line: requests, errors and p95 over its last whole seconds


class Progress:
    """Where long work stands; `update` as often as you like, it prints only when it should."""

    def __init__(
        self,
        console: Console,
        *,
        quiet: bool = False,
        interval_s: float = PLAIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console = console
        self._quiet = quiet
        self._interval_s = interval_s
        self._clock = clock
        self._started = clock()
        self._printed_at: float | None = None
        self._live: Live | None = None
        self._ticking = threading.Event()
        self._ticker: threading.Thread | None = None
        if not quiet and console.is_terminal:
            self._live = Live(Text(""), console=console, transient=True, refresh_per_second=4)

    @property
    def elapsed_s(self) -> float:
        return self._clock() - self._started

    def update(self, text: str) -> None:
        """Show `text` (one line) as where the work stands now."""
        if self._quiet:
            return
        if self._live is not None:
            if not self._live.is_started:
                self._live.start()
            self._live.update(Text(text, no_wrap=True, overflow="ellipsis"))
            return
        now = self._clock()
        if self._printed_at is None or now - self._printed_at >= self._interval_s:
            self._printed_at = now
            self._console.print(text, markup=False, highlight=False, soft_wrap=True)

    def follow(self, render: Callable[[], str], every_s: float = 1.0) -> None:
        """Call `render` every `every_s` and show its line, until `close`.

        Updates that wait for work to end would go silent during a 40 s browser run or a
        hung target, exactly when a CI log most needs to say the run is alive.
        """
        if self._quiet or self._ticker is not None:
            return

        def tick() -> None:
            while not self._ticking.wait(every_s):
                self.update(render())

        self.update(render())
        self._ticker = threading.Thread(target=tick, name="journey-progress", daemon=True)
        self._ticker.start()

    def close(self) -> None:
        """Take the live line away, before the summary prints."""
        self._ticking.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2.0)
        if self._live is not None and self._live.is_started:
            self._live.stop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def duration(seconds: float) -> str:
    """`42s`, `3m05s`, `1h02m`: short enough for a progress line."""
    whole = max(int(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def runs_line(done: int, total: int | None, failed: int, elapsed_s: float) -> str:
    """`run 12/40 runs · 2 failed · 8s elapsed · ~19s left`; total None when open-ended."""
    of = f"/{total}" if total else ""
    line = f"run {done}{of} runs · {failed} failed · {duration(elapsed_s)} elapsed"
    if total and done:
        line += f" · ~{duration(elapsed_s / done * (total - done))} left"
    return line


def rehearsal_line(outcome: RehearsalOutcome, elapsed_s: float, users: int) -> str:
    """`load stage peak · 120 users · 84 req/s · 0.4% errors · p95 210ms · 1m05s of 13m00s`.

    Requests, errors and p95 are over the last `RECENT_S` whole seconds: now, not on average.
    """
    from runner.histogram import Histogram  # only here: progress.py stays light for `run`

    plans = outcome.plans
    stage = next((p for p in plans if elapsed_s < p.end_s), plans[-1]) if plans else None
    now = int(outcome.started + elapsed_s)
    recent = [outcome.seconds.get(second, {}) for second in range(now - RECENT_S, now)]
    requests = errors = 0
    latency = Histogram()
    for tallies in recent:
        for tally in tallies.values():
            requests += tally.requests
            errors += sum(step.failures for step in tally.steps.values())
            latency.merge(tally.latency)
    p95 = latency.quantile(0.95)
    parts = [
        f"load stage {stage.name}" if stage else "load",
        f"{users} users",
        f"{requests / RECENT_S:.0f} req/s",
        f"{errors / requests:.1%} errors" if requests else "- errors",
        "p95 -" if p95 is None else f"p95 {p95 * 1000:.0f}ms",
    ]
    total = f" of {duration(plans[-1].end_s)}" if plans else ""
    parts.append(f"{duration(elapsed_s)}{total}")
    return " \u00b7 ".join(parts)


class RunCounter:
    """Runs done and failed of those planned, for `run`'s progress line."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.done = 0
        self.failed = 0

    def add(self, passed: bool) -> None:
        self.done += 1
        self.failed += not passed

    def line(self, elapsed_s: float) -> str:
        return runs_line(self.done, self.total, self.failed, elapsed_s)
