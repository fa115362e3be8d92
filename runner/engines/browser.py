"""The browser engine: a journey's browser flow in real Chromium, one fresh context per run.

Per step it records wall time, the page's navigation timing and web vitals (TTFB,
DOMContentLoaded, load, LCP, CLS) when the step navigated, console errors and failed
requests. A step that fails leaves a screenshot (sensitive inputs masked) and the run's
Playwright trace (secrets scrubbed) as artefacts. Step timeouts are capped by the journey's
own budget, so a hung page fails its step in time and never hangs the run; a dead page (its
main document answered 5xx or could not be fetched) fails its step at once, saying so first.

Stopping (runner/stopping.py) is looked at between steps: once asked for, the run in progress
ends at the next step and raises Interrupted, never a failed step, since a step cut short by a
stop says nothing of the target. The session's close is safe when Playwright's driver is
already gone (a SIGTERM or SIGHUP to the whole process group kills it with us).

Uses Playwright's sync API, so it must never run in a gevent-patched process (see DESIGN.md,
"Processes"). Imports the spec, results and the redactor; never formats output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, Playwright, Route, sync_playwright

from runner.engines.browser_actions import (
    SENSITIVE_INPUTS,
)
from runner.engines.browser_step import Attempt, attach_page_timings, attempt, until_reason
from runner.engines.chromium import driver_pid, forget_driver_error, launch_chromium
from runner.engines.engine import poll_until
from runner.engines.page_watch import (
    FLUSH_SCRIPT,
    REPORT_BINDING,
    VITALS_INIT_SCRIPT,
    PageWatch,
)
from runner.engines.trace import scrub_trace
from runner.engines.variables import start_variables
from runner.results import JourneyRun, StepResult
from runner.spec.browser import BrowserStep
from runner.spec.data import FeederExhausted
from runner.spec.loader import LoadedJourney
from runner.spec.target import Target
from runner.spec.template import render_text
from runner.stopping import Interrupted, Stopping

_SLUG = re.compile(r"[^A-Za-z0-9]+")
STOP_SETTLE_S = 0.5  # how long a step failed by a vanished browser waits to see a stop
_NO_CONNECTION = re.compile(
    r"net::ERR_(CONNECTION_REFUSED|NAME_NOT_RESOLVED|ADDRESS_UNREACHABLE|CONNECTION_TIMED_OUT)"
)
# How Playwright words a browser that is gone (crashed, killed, its driver dead): "Target page,
# context or browser has been closed", "Browser has been closed", "Connection closed".
_GONE = re.compile(r"\b(browser|target|connection)\b[^\n]*\b(closed|disconnected)\b", re.I)


def browser_gone(exc: BaseException) -> bool:
    """Whether `exc` is Playwright saying that the browser itself is gone, not a page failing."""
    return isinstance(exc, PlaywrightError) and bool(_GONE.search(str(exc)))


def reads_as_gone(reason: str) -> bool:
    """Whether a step's reason is Playwright saying that the browser or its driver is gone."""
    return bool(_GONE.search(reason))


class BrowserSession:
    """One Chromium for a whole command; a fresh context (a new shopper) per journey run.

    Implements JourneyEngine (runner/engines/engine.py). Playwright's sync objects belong to
    the thread that made them: a session is used only by the thread that opened it (callers in
    other threads go through `probe.BrowserThread`). If Chromium dies, every later run raises
    Playwright's Error (`browser_gone` tells it) until the session is replaced.
    """

    def __init__(
        self,
        *,
        artefacts: Path,
        scrub: Callable[[str], str],
        browser_path: str | None = None,
        trace: bool = True,
        allowed_ports: Iterable[int] = (),
        stopping: Stopping | None = None,
    ) -> None:
        self.artefacts = artefacts
        self.scrub = scrub
        self.trace = trace
        self.stopping = stopping or Stopping()
        self._chromium_agent: str | None = None  # navigator.userAgent, read on the first run
        self._playwright: Playwright = sync_playwright().start()
        try:
            self._browser = launch_chromium(
                self._playwright, browser_path, allowed_ports=allowed_ports
            )
        except BaseException:
            self._stop_playwright()
            raise

    @property
    def connected(self) -> bool:
        """Whether Chromium is still there (False once it crashed or was killed)."""
        return self._browser.is_connected()

    @property
    def driver_pid(self) -> int | None:
        """The pid of Playwright's driver, which only a stop that cannot wait kills."""
        return driver_pid(self._playwright)

    def _user_agent(self, target: Target) -> str:
        """Chromium's own User-Agent with the target's synthetic one after it.

        As Checkly's browser checks do: the shop still serves what Chromium gets, and its
        analytics can tell the probe from shoppers by the token at the end.
        """
        if self._chromium_agent is None:
            context = self._browser.new_context()
            try:
                self._chromium_agent = str(context.new_page().evaluate("navigator.userAgent"))
            finally:
                context.close()
        return f"{self._chromium_agent} {target.user_agent}"

    def close(self) -> None:
        """Close Chromium and the driver. A browser or driver already gone is no error here."""
        try:
            with contextlib.suppress(PlaywrightError):
                self._browser.close()
        finally:
            self._stop_playwright()

    def _stop_playwright(self) -> None:
        with contextlib.suppress(PlaywrightError):
            self._playwright.stop()
        forget_driver_error(self._playwright)

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_journey(self, journey: LoadedJourney, target: Target, iteration: int) -> JourneyRun:
        """Run the journey's browser flow once, in a new context with tracing on.

        A failing page is a failed step, never an exception. Raises Playwright's Error when the
        browser itself is gone (`browser_gone`), since no run can tell anything then, and
        Interrupted when a stop was asked for before the flow's last step ended.
        """
        started, t0 = time.time(), time.perf_counter()
        try:
            variables = start_variables(journey, iteration, target)
        except FeederExhausted as exc:
            return JourneyRun(journey.name, "browser", iteration, started, 0.0, (), reason=str(exc))
        context = self._browser.new_context(user_agent=self._user_agent(target))
        context.add_init_script(VITALS_INIT_SCRIPT)
        try:
            _send_target_headers(context.route, target, variables)
            if self.trace:
                # DOM snapshots, not a screencast: the viewer still shows each action's page,
                # at a fraction of the cost (a failure screenshot is taken separately).
                context.tracing.start(screenshots=False, snapshots=True)
            page = context.new_page()
            watch = PageWatch(page)
            page.expose_binding(REPORT_BINDING, watch.on_page_timing)
            steps = list(self._flow(journey, target, page, watch, variables, iteration, t0))
            if all(step.outcome == "passed" for step in steps):
                # the last page reports now, not after we left; never on a failed run, whose
                # page may still be loading (a hung page would hold evaluate() forever)
                with contextlib.suppress(PlaywrightError):
                    page.evaluate(FLUSH_SCRIPT)
            steps = attach_page_timings(steps, watch.page_timings())
            failed = next((s for s in steps if s.outcome != "passed"), None)
            if failed is not None and self.trace:
                steps[steps.index(failed)] = self._with_trace(context, failed, journey, iteration)
            elif self.trace:
                context.tracing.stop()
        finally:
            try:
                context.close()
            except PlaywrightError:
                if not self.stopping.requested():
                    raise  # the browser is gone: the caller relaunches (probe.BrowserThread)
        duration = time.perf_counter() - t0
        return JourneyRun(journey.name, "browser", iteration, started, duration, tuple(steps))

    def _flow(
        self,
        journey: LoadedJourney,
        target: Target,
        page: Page,
        watch: PageWatch,
        variables: dict[str, Any],
        iteration: int,
        t0: float,
    ) -> Iterator[StepResult]:
        deadline = t0 + journey.spec.timeout
        ended: dict[str, float] = {}
        previous_end = time.perf_counter()
        for index, step in enumerate(journey.spec.browser):
            self.stopping.check()  # between steps: the run ends here, never counted
            result = self._step(
                journey,
                step,
                index,
                target,
                page,
                watch,
                variables,
                iteration,
                deadline,
                ended.get(step.until.since, previous_end)
                if step.until and step.until.since
                else previous_end,
            )
            if result.outcome != "passed" and self._stopped_under(result):
                raise Interrupted(self.stopping.reason)
            yield result
            if result.outcome != "passed":
                return
            previous_end = ended[step.name] = time.perf_counter()

    def _stopped_under(self, result: StepResult) -> bool:
        """Whether a stop, not the target, failed this step (the driver may have died with us).

        A driver killed by the same signal as this process can fail the step a moment before
        the signal handler sets the flag: a "gone" reason waits for the flag briefly.
        """
        if self.stopping.requested():
            return True
        return reads_as_gone(result.reason) and self.stopping.wait(STOP_SETTLE_S)

    def _step(
        self,
        journey: LoadedJourney,
        step: BrowserStep,
        index: int,
        target: Target,
        page: Page,
        watch: PageWatch,
        variables: dict[str, Any],
        iteration: int,
        deadline: float,
        since: float,
    ) -> StepResult:
        started, t0 = time.time(), time.perf_counter()
        watch.begin_step()
        budget_s = max(0.001, min(step.timeout, deadline - t0))
        freshness: float | None = None
        artefacts: list[str] = []
        navigations = watch.navigations  # before the latest attempt: did that one navigate?

        def shoot() -> None:
            artefacts.append(self._screenshot(page, journey, iteration, index))

        def try_once() -> Attempt:
            nonlocal navigations
            navigations = watch.navigations
            return attempt(page, step, target, watch, variables, t0, budget_s, shoot)

        polled = poll_until(
            try_once,
            step.until,
            started=t0,
            budget_s=budget_s,
            sleep=lambda seconds: page.wait_for_timeout(seconds * 1000),
        )
        outcome, reason = polled.last.outcome, polled.last.reason
        if polled.gave_up:
            navigated = watch.navigations != navigations
            reason = until_reason(polled.not_met, polled.last, page, watch, navigated)
        done = time.perf_counter()
        if step.until is not None:  # censored at the wait when the change was never seen
            freshness = done - since
        if outcome != "passed":
            shoot()
        return StepResult(
            journey=journey.name,
            step=step.name,
            engine="browser",
            outcome=outcome,
            started=started,
            duration_s=done - t0,
            reason=reason,
            responded=watch.responded,
            unreachable=outcome != "passed"
            and not watch.responded
            and bool(_NO_CONNECTION.search(reason)),
            freshness_s=freshness,
            attempts=polled.attempts,
            artefacts=tuple(a for a in artefacts if a),
            console_errors=watch.console_errors(),
            failed_requests=watch.failed_requests(),
            recorded=polled.last.recorded,
        )

    def _screenshot(self, page: Page, journey: LoadedJourney, iteration: int, index: int) -> str:
        path = self.artefacts / f"{_slug(journey.name)}-browser-{iteration}-{index + 1}.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), timeout=5000, mask=[page.locator(SENSITIVE_INPUTS)])
        except PlaywrightError:
            return ""  # a page that cannot even be drawn: the reason already says why
        return str(path)

    def _with_trace(
        self, context: Any, failed: StepResult, journey: LoadedJourney, iteration: int
    ) -> StepResult:
        index = journey.spec.step_names("browser").index(failed.step) + 1
        destination = self.artefacts / f"{_slug(journey.name)}-browser-{iteration}-{index}.zip"
        with tempfile.TemporaryDirectory() as folder:
            raw = Path(folder) / "trace.zip"
            try:
                context.tracing.stop(path=str(raw))
                destination.parent.mkdir(parents=True, exist_ok=True)
                scrub_trace(raw, destination, self.scrub)
            except (PlaywrightError, OSError):
                return failed
        return dataclasses.replace(failed, artefacts=(*failed.artefacts, str(destination)))


def _slug(name: str) -> str:
    return _SLUG.sub("-", name).strip("-").lower() or "journey"


def _send_target_headers(
    route: Callable[..., Any], target: Target, variables: dict[str, Any]
) -> None:
    """Add the target's headers (credentials) to requests for its own origins only."""
    if not target.headers:
        return
    headers = {k: render_text(v, variables) for k, v in target.headers.items()}

    def add(route_: Route) -> None:
        route_.continue_(headers={**route_.request.headers, **headers})

    for scheme, netloc in target.origins:
        route(f"{scheme}://{netloc}/**", add)
