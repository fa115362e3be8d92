"""Prometheus metrics of the shop: requests and durations per route group, requests per agent.

Under `serve()` the environment names a `PROMETHEUS_MULTIPROC_DIR`: each worker then writes its
samples to files there and `/metrics` merges them, so a scrape reaching any worker reports the
whole shop. Without it (an app built in-process) the metrics live in a private registry. Never
the global default registry: the tester may run in the same interpreter. Requests to /health and
/metrics are not counted; everything else is, faulted 5xx included. Imports `groups` and `paths`
only.
"""

from __future__ import annotations

import os
import time
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runner.demoshop.groups import route_group
from runner.demoshop.paths import app_path

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A shop's analytics tell synthetic traffic from shoppers by User-Agent; so does this counter.
# Bounded: the first MAX_AGENTS agents a worker sees get their own label, the rest "other".
MAX_AGENTS: Final = 32
AGENT_CHARS: Final = 256


class ShopMetrics:
    """The shop's request counter and duration histogram, and their exposition."""

    def __init__(self) -> None:
        self._multiproc_dir = os.environ.get(MULTIPROC_ENV)
        registry: CollectorRegistry | None = None
        if self._multiproc_dir:
            # prometheus_client picks its value class when first imported; if something imported
            # it before serve() set the directory, pick again or samples would stay in memory.
            values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
        else:
            registry = self._registry = CollectorRegistry()
        self.requests = Counter(
            "demoshop_requests",
            "HTTP requests answered, by route group, method and status.",
            ["group", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "demoshop_request_duration_seconds",
            "Time to answer a request, injected latency included, by route group.",
            ["group"],
            buckets=BUCKETS_S,
            registry=registry,
        )
        self.agents = Counter(
            "demoshop_user_agent_requests",
            "HTTP requests answered, by User-Agent (the first 32 a worker saw; then other).",
            ["agent"],
            registry=registry,
        )
        self._agents_seen: set[str] = set()

    def observe(
        self, group: str, method: str, status: int, duration_s: float, agent: str = ""
    ) -> None:
        method = method if method in _METHODS else "OTHER"  # bound the label's cardinality
        self.requests.labels(group, method, str(status)).inc()
        self.duration.labels(group).observe(duration_s)
        agent = agent[:AGENT_CHARS]
        if agent not in self._agents_seen:
            if len(self._agents_seen) >= MAX_AGENTS:
                agent = "other"
            else:
                self._agents_seen.add(agent)
        self.agents.labels(agent).inc()

    def exposition(self) -> bytes:
        """Return the Prometheus text exposition of every worker's samples."""
        if self._multiproc_dir:
            registry = CollectorRegistry()
            MultiProcessCollector(registry, path=self._multiproc_dir)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self._registry)


class MetricsMiddleware:
    """Pure ASGI middleware timing and counting every request but /health and /metrics.

    Outermost, so injected latency and injected errors are measured as shoppers feel them; an
    exception escaping the app counts as a 500.
    """

    def __init__(self, app: ASGIApp, *, metrics: ShopMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        group = route_group(app_path(scope)) if scope["type"] == "http" else "ops"
        if group == "ops":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.observe(group, scope["method"], status, elapsed, _user_agent(scope))


def _user_agent(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return str(value.decode("latin-1"))
    return ""
