"""The engine seam: the one Protocol every engine implements, and the rules all engines share.

Shaped as httpx's `BaseTransport`: one small method whose contract is its docstring, so a
probe round, a canary's arms and serve's scheduler drive any engine alike (http, browser, a
test's fake) and judge what comes back. Beside it live the few rules no engine may spell on
its own: how `until:` polls, how a path joins a target, how long a quoted message may be.

Imports the spec and results only: the load workers (gevent) import this through the http
engine, and the load orchestrator must never load Playwright (DESIGN.md, "Processes").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from runner.results import JourneyRun, Outcome
from runner.spec.journey import Surface, Until
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target

ABSOLUTE = ("http://", "https://")
DETAIL_CHARS = 200  # one message quoted from elsewhere: an exception's, a console line
REASON_CHARS = 300  # a whole step reason, which may quote a detail after its own words


class JourneyEngine(Protocol):
    """Runs one journey's flow once against one target: the seam between rounds and engines."""

    def run_journey(self, journey: LoadedJourney, target: Target, iteration: int) -> JourneyRun:
        """Run `journey`'s flow for this engine once, as shopper number `iteration`.

        Contract, for every implementation:
        - Never raises for the target's failure: a refused connection, a 503, a hung page or a
          missed expectation is data, a failed or errored step of the returned run (a target
          that cannot be connected to at all has `unreachable` steps).
        - Never raises for the journey's own mistakes met at run time either (a template that
          cannot render, a unique data feeder run dry): those are errored runs too.
        - Raises only for a bug of ours, or an environment that cannot run the flow at all
          (SpecError, exit 2: no Chromium to launch).
        - Each run starts as a new shopper (empty cookie jar, fresh browser context).
        - Never judges, prints or writes reports; it may keep artefacts (screenshots, traces)
          and name them in its steps.
        """
        ...


class Attempted(Protocol):
    """One try of a step, as the `until:` loop sees it: whether it passed."""

    @property
    def outcome(self) -> Outcome: ...


AttemptT = TypeVar("AttemptT", bound=Attempted)


@dataclass(frozen=True, slots=True)
class Polled(Generic[AttemptT]):
    """What polling a step came to: its last attempt, how many were made, whether it gave up."""

    last: AttemptT
    attempts: int
    gave_up: bool  # `until:` ran out of time with the last attempt still not passing
    timeout_s: float = 0.0

    @property
    def not_met(self) -> str:
        """The head of a reason for a poll that gave up: `not met within 5s (9 polls)`."""
        return f"not met within {self.timeout_s:g}s ({self.attempts} polls)"


def poll_until(
    attempt: Callable[[], AttemptT],
    until: Until | None,
    *,
    started: float,
    sleep: Callable[[float], None],
    budget_s: float | None = None,
) -> Polled[AttemptT]:
    """Make `attempt` until it passes, `until.interval` apart, for up to `until.timeout`.

    Without `until` the step is tried once. A poll whose pause would end past the timeout
    (counted from `started`, a `time.perf_counter()` reading, and capped by `budget_s`, the
    step's own budget) is not made: the loop gives up with the last attempt. `sleep(seconds)`
    pauses between polls: `time.sleep` for http; the browser waits through its page
    (`page.wait_for_timeout`), so that Playwright's events keep flowing meanwhile.

    Raises whatever `attempt` or `sleep` raise; attempts report failures as data.
    """
    timeout_s = 0.0 if until is None else until.timeout
    limit_s = timeout_s if budget_s is None else min(timeout_s, budget_s)
    attempts = 0
    while True:
        attempts += 1
        last = attempt()
        if until is None or last.outcome == "passed":
            return Polled(last, attempts, gave_up=False, timeout_s=timeout_s)
        if time.perf_counter() + until.interval > started + limit_s:
            return Polled(last, attempts, gave_up=True, timeout_s=timeout_s)
        sleep(until.interval)


def join_url(target: Target, surface: Surface, url: str) -> str:
    """An absolute URL as written; a path on `target`'s `surface`, a missing leading `/` added.

    Journeys name paths, never hosts; an absolute URL (a link an API returned) goes as is.
    """
    if url.startswith(ABSOLUTE):
        return url
    return target.url_for(surface) + ("" if url.startswith("/") else "/") + url


def one_line(text: str, limit: int = DETAIL_CHARS) -> str:
    """The first line of `text` (leading and trailing blanks dropped), cut to `limit` characters.

    Reasons are one line (JUnit's `<failure message>`, the console), and bounded: a server's
    error page or a stack trace quoted whole would drown the report. Blank text gives "".
    """
    lines = text.strip().splitlines()
    return lines[0][:limit] if lines else ""
