"""Progress on long work: a live line on a terminal, a plain line every 10 s in a CI log.

`run` and `load` say how far they are while they work: runs done of the total, failures so far,
elapsed and remaining; for a rehearsal its stage, users, requests per second, error ratio and
p95. On a terminal the line is redrawn in place and gone once the summary prints; anywhere
else (a CI log, a pipe) it is printed as a plain line at most every `interval_s`, never
wrapped mid-line. `--quiet` shows none of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.text import Text

PLAIN_INTERVAL_S = 10.0


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

    def close(self) -> None:
        """Take the live line away, before the summary prints."""
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
