"""What a page did while a browser run went: page timings, console errors, failed requests.

Playwright reports console messages and requests as events; PageWatch collects them per step.
Navigation timing and web vitals (the Navigation Timing API, LCP and CLS from performance
observers) are pushed by an init script through a binding once each page has loaded; each
report carries the time its navigation started, so the run gives it to the step that started
that navigation, whenever the report arrives. The run never stops to ask the page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Error, Page, Request, Response

from runner.results import PageTiming

MAX_EVENTS_PER_STEP = 10  # bounded: a page logging in a loop must not fill the results

REPORT_BINDING = "__journeyPageTiming"

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


def _path(url: str) -> str:
    # paths only: query strings may carry tokens, and the host is the target's anyway
    return urlsplit(url).path or "/"


class PageWatch:
    """Listens to one page; `begin_step` starts a new step's collection."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.responded = False
        self._timings: list[tuple[float, PageTiming]] = []
        self._console: list[str] = []
        self._failed: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def begin_step(self) -> None:
        self._console = []
        self._failed = []

    def console_errors(self) -> tuple[str, ...]:
        return tuple(self._console)

    def failed_requests(self) -> tuple[str, ...]:
        return tuple(self._failed)

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
