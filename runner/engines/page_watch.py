"""What a page did while a browser step ran: navigations, console errors, failed requests.

Playwright reports these as events; PageWatch collects them per step, and reads navigation
timing and web vitals from the page (the Navigation Timing API, and LCP / CLS observed by an
init script) only after a step that navigated, so steps that stay on a page cost nothing extra.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Error, Frame, Page, Request, Response

from runner.results import PageTiming

MAX_EVENTS_PER_STEP = 10  # bounded: a page logging in a loop must not fill the results

VITALS_INIT_SCRIPT = """
window.__journeyVitals = {lcp: null, cls: 0};
try {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__journeyVitals.lcp = entry.startTime;
  }).observe({type: 'largest-contentful-paint', buffered: true});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (!entry.hadRecentInput) window.__journeyVitals.cls += entry.value;
  }).observe({type: 'layout-shift', buffered: true});
} catch (e) {}
"""

_READ_TIMING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav) return null;
  const vitals = window.__journeyVitals || {};
  return {ttfb: nav.responseStart, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          lcp: vitals.lcp, cls: vitals.cls};
}"""


def _seconds(ms: Any) -> float | None:
    # 0 means "not reached yet" in Navigation Timing (e.g. load still running)
    return ms / 1000 if isinstance(ms, int | float) and ms > 0 else None


def _path(url: str) -> str:
    # paths only: query strings may carry tokens, and the host is the target's anyway
    return urlsplit(url).path or "/"


class PageWatch:
    """Listens to one page; `begin_step` starts a new step's collection."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.responded = False
        self._navigated = False
        self._console: list[str] = []
        self._failed: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)
        page.on("framenavigated", self._on_navigated)

    def begin_step(self) -> None:
        self._navigated = False
        self._console = []
        self._failed = []

    def console_errors(self) -> tuple[str, ...]:
        return tuple(self._console)

    def failed_requests(self) -> tuple[str, ...]:
        return tuple(self._failed)

    def page_timing(self) -> PageTiming | None:
        """Timing of the page the step ended on, if the step navigated; else None."""
        if not self._navigated:
            return None
        try:
            raw = self.page.evaluate(_READ_TIMING)
        except Error:
            return None  # the page is gone or still navigating: no figures, not a failure
        if not raw:
            return None
        cls = raw.get("cls")
        return PageTiming(
            ttfb_s=_seconds(raw.get("ttfb")),
            dom_content_loaded_s=_seconds(raw.get("dcl")),
            load_s=_seconds(raw.get("load")),
            lcp_s=_seconds(raw.get("lcp")),
            cls=float(cls) if isinstance(cls, int | float) else None,
        )

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and len(self._console) < MAX_EVENTS_PER_STEP:
            self._console.append(message.text[:200])

    def _on_page_error(self, error: Error) -> None:
        if len(self._console) < MAX_EVENTS_PER_STEP:
            self._console.append(f"uncaught: {error.message[:200]}")

    def _on_request_failed(self, request: Request) -> None:
        if len(self._failed) < MAX_EVENTS_PER_STEP:
            self._failed.append(f"{request.method} {_path(request.url)} {request.failure or ''}")

    def _on_response(self, response: Response) -> None:
        self.responded = True
        if response.status >= 400 and len(self._failed) < MAX_EVENTS_PER_STEP:
            self._failed.append(
                f"{response.request.method} {_path(response.url)} {response.status}"
            )

    def _on_navigated(self, frame: Frame) -> None:
        if frame.parent_frame is None:
            self._navigated = True
