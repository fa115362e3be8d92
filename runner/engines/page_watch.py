"""What a page did while a browser run went: page timings, console errors, failed requests.

Playwright reports console messages and requests as events; PageWatch collects them per step.
It also follows the main frame's document navigations, so a step can tell at once that its
page died (the document answered 5xx or could not be fetched) instead of waiting out its
expectations on an error page; sub-resources (images, scripts, XHR) and iframes never count.
Navigation timing and web vitals (the Navigation Timing API, LCP and CLS from performance
observers) are pushed by an init script through a binding once each page has loaded; each
report carries the time its navigation started, so the run gives it to the step that started
that navigation, whenever the report arrives. The run never stops to ask the page.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from playwright.sync_api import ConsoleMessage, Error, Page, Request, Response

from runner.engines.engine import one_line
from runner.redact import masked_url
from runner.results import PageTiming

MAX_EVENTS_PER_STEP = 10  # bounded: a page logging in a loop must not fill the results

REPORT_BINDING = "__journeyPageTiming"

# Chromium's network error codes (`net::ERR_CONNECTION_REFUSED`). ERR_ABORTED is not a dead
# page: Chromium aborts a navigation that another one replaced, or one answering a download.
NET_ERROR = re.compile(r"net::ERR_[A-Z_]+")
_ABORTED = "net::ERR_ABORTED"

# Runs in every document. Once the page has loaded and its largest contentful paint has been
# observed (or 250 ms after load, or when Python flushes at the end of a run), it hands the
# page's navigation timing and web vitals to Python through a binding, once. The page does not
# wait for an answer, so reading the figures costs the run no round trip.
VITALS_INIT_SCRIPT = """
(() => {
  if (window !== window.top) return;
  const vitals = {lcp: null, cls: 0};
  let loaded = false, sent = false;
  const send = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const report = window.__journeyPageTiming;
    if (sent || !nav || !report) return;
    sent = true;
    report({origin: performance.timeOrigin, ttfb: nav.responseStart,
            dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
            lcp: vitals.lcp, cls: vitals.cls});
  };
  window.__journeyFlush = send;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) vitals.lcp = entry.startTime;
      if (loaded) setTimeout(send, 0);
    }).observe({type: 'largest-contentful-paint', buffered: true});
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) vitals.cls += entry.value;
    }).observe({type: 'layout-shift', buffered: true});
  } catch (e) {}
  addEventListener('load', () => setTimeout(() => {
    loaded = true;
    if (vitals.lcp !== null) send(); else setTimeout(send, 250);
  }, 0));
})();
"""
FLUSH_SCRIPT = "() => window.__journeyFlush && window.__journeyFlush()"


def _seconds(ms: Any) -> float | None:
    # 0 means "not reached yet" in Navigation Timing (e.g. load still running)
    return ms / 1000 if isinstance(ms, int | float) and ms > 0 else None


@dataclasses.dataclass(frozen=True, slots=True)
class Navigation:
    """One document request of the main frame and, once known, how it ended."""

    method: str
    where: str  # masked_url of the request
    status: int | None = None  # None while in flight, or when it failed
    failure: str | None = None  # `net::ERR_CONNECTION_REFUSED`

    def outcome(self) -> str | None:
        """`answered 503`, `failed: net::ERR_…`, or None while no answer came."""
        if self.status is not None:
            return f"answered {self.status}"
        if self.failure is not None:
            return f"failed: {self.failure}"
        return None

    def dead(self) -> str | None:
        """A step's reason when this page cannot be used: `GET /checkout answered 503`."""
        bad_status = self.status is not None and self.status >= 500
        bad_fetch = self.failure is not None and _ABORTED not in self.failure
        return f"{self.method} {self.where} {self.outcome()}" if bad_status or bad_fetch else None


class DeadPage(Exception):
    """The main frame's document answered 5xx or could not be fetched: the step cannot pass.

    `check` is the step's own expectation, when it had already failed on the dead page too.
    """

    def __init__(self, reason: str, check: BaseException | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.check = check


class PageWatch:
    """Listens to one page; `begin_step` starts a new step's collection."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.responded = False
        self.navigation: Navigation | None = None  # the main frame's latest document request
        self.navigations = 0  # how many began: a poll navigated when this moved
        self._document: Request | None = None
        self._timings: list[tuple[float, PageTiming]] = []
        self._console: list[str] = []
        self._failed: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def begin_step(self) -> None:
        self._console = []
        self._failed = []

    def console_errors(self) -> tuple[str, ...]:
        return tuple(self._console)

    def failed_requests(self) -> tuple[str, ...]:
        return tuple(self._failed)

    def dead(self) -> str | None:
        """Why the page now shown cannot pass a step, or None (also while a page is loading)."""
        return self.navigation.dead() if self.navigation is not None else None

    def page_timings(self) -> list[tuple[float, PageTiming]]:
        """Every page reported so far: (navigation start, epoch seconds; its timing)."""
        return list(self._timings)

    def on_page_timing(self, source: Any, raw: Any) -> None:
        """The binding the init script calls with a loaded page's figures."""
        if not isinstance(raw, dict) or not isinstance(raw.get("origin"), int | float):
            return
        cls = raw.get("cls")
        timing = PageTiming(
            ttfb_s=_seconds(raw.get("ttfb")),
            dom_content_loaded_s=_seconds(raw.get("dcl")),
            load_s=_seconds(raw.get("load")),
            lcp_s=_seconds(raw.get("lcp")),
            cls=float(cls) if isinstance(cls, int | float) else None,
        )
        self._timings.append((raw["origin"] / 1000, timing))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and len(self._console) < MAX_EVENTS_PER_STEP:
            self._console.append(one_line(message.text))

    def _on_page_error(self, error: Error) -> None:
        if len(self._console) < MAX_EVENTS_PER_STEP:
            self._console.append(f"uncaught: {one_line(error.message)}")

    def _is_document(self, request: Request) -> bool:
        # a redirect's next hop is a new navigation request; an iframe's has a parent frame
        try:
            return request.is_navigation_request() and request.frame.parent_frame is None
        except Error:  # a service worker's request has no frame
            return False

    def _on_request(self, request: Request) -> None:
        if self._is_document(request):
            self._document = request
            self.navigation = Navigation(request.method, masked_url(request.url))
            self.navigations += 1

    def _on_request_failed(self, request: Request) -> None:
        failure = request.failure or ""
        if request is self._document and self.navigation is not None:
            code = NET_ERROR.search(failure)
            failure_code = code.group(0) if code else failure or "no answer"
            self.navigation = dataclasses.replace(self.navigation, failure=failure_code)
        if len(self._failed) < MAX_EVENTS_PER_STEP:
            self._failed.append(f"{request.method} {masked_url(request.url)} {failure}")

    def _on_response(self, response: Response) -> None:
        self.responded = True
        request = response.request
        if request is self._document and self.navigation is not None:
            self.navigation = dataclasses.replace(self.navigation, status=response.status)
        if response.status >= 400 and len(self._failed) < MAX_EVENTS_PER_STEP:
            self._failed.append(f"{request.method} {masked_url(response.url)} {response.status}")
