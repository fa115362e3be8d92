"""`journey serve` running: the prober, the budgets, the web server, reloads and the stop.

The main thread keeps the signals (runner/stopping.py, and SIGHUP here): it waits on the stop
flag and the reload flag, and does the reloads itself, so a SIGHUP never lands half-way through
a run or a scrape. uvicorn serves /metrics in its own thread (it leaves signals alone there).
The budgets are recomputed from the history every few seconds in a thread of their own, so a
scrape only formats numbers already there, and old rows are purged once an hour.

On a stop: no new runs; runs in flight get `grace_s` to end (an http run stuck on a frozen shop
ends at its journey's timeout anyway); the web server closes; the history is closed. What ran
was recorded as it ended, so nothing measured is lost.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import FrameType

import uvicorn

from runner.serve.app import Health, create_app
from runner.serve.budget import Budget, budgets
from runner.serve.history import History
from runner.serve.metrics import ServeCollector, ServeState
from runner.serve.page import probe_view, render_page
from runner.serve.prober import Probe, Prober
from runner.serve.tallies import Tallies
from runner.stopping import Stopping

logger = logging.getLogger(__name__)

REFRESH_S = 5.0  # budgets and burn rates are at most this old at a scrape
PURGE_EVERY_S = 3600.0
SERVER_STOP_S = 5.0


@dataclass(frozen=True, slots=True)
class DaemonOptions:
    """Where serve listens and how it keeps its figures."""

    host: str
    port: int
    location: str = ""
    slo_window_s: float = 30 * 86400.0
    grace_s: float = 10.0
    refresh_s: float = REFRESH_S


class BudgetBoard:
    """The latest budgets of every probe, recomputed from the history by `refresh`."""

    def __init__(self, history: History, window_s: float) -> None:
        self._history = history
        self._window_s = window_s
        self._lock = threading.Lock()
        self._latest: list[Budget] = []
        self.refreshed: float | None = None

    def refresh(self, probes: Sequence[Probe]) -> None:
        figures = budgets(
            self._history,
            {probe.series: probe.slis for probe in probes},
            now=time.time(),
            window_s=self._window_s,
        )
        with self._lock:
            self._latest, self.refreshed = list(figures), time.time()

    def latest(self) -> list[Budget]:
        with self._lock:
            return list(self._latest)


class Daemon:
    """Runs serve until `stopping` is requested; `load_probes` is called again on SIGHUP."""

    def __init__(
        self,
        prober: Prober,
        history: History,
        tallies: Tallies,
        load_probes: Callable[[], list[Probe]],
        options: DaemonOptions,
    ) -> None:
        self.prober = prober
        self.history = history
        self.tallies = tallies
        self.load_probes = load_probes
        self.options = options
        self.board = BudgetBoard(history, options.slo_window_s)
        self.started = time.time()
        self.collector = ServeCollector(
            tallies, self.board.latest, self._state, location=options.location
        )
        self._reload = threading.Event()
        self._done = threading.Event()
        self.reloads = 0

    def run(self, probes: list[Probe], stopping: Stopping) -> None:
        """Serve until stopped. Raises OSError when the port cannot be listened on."""
        with _listening(self.options.host, self.options.port) as sock, _sighup(self._reload):
            self.port = sock.getsockname()[1]
            for probe in probes:
                logger.info("%s: %s", probe.describe(), probe.plan.describe())
            self.prober.start(probes)
            self._seed_times()
            self.board.refresh(probes)
            refresher = threading.Thread(target=self._refresh_loop, name="budgets", daemon=True)
            refresher.start()
            server = uvicorn.Server(
                uvicorn.Config(
                    create_app(self.collector.render, self._page, self._health),
                    log_level="warning",
                    access_log=False,
                    lifespan="off",
                    timeout_graceful_shutdown=int(SERVER_STOP_S),
                )
            )
            web = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="web", daemon=True
            )
            web.start()
            logger.info(
                "serving %d probes; metrics on http://%s:%d/metrics",
                len(probes),
                self.options.host,
                self.port,
            )
            try:
                while not stopping.wait(0.25):
                    if self._reload.is_set():
                        self._reload.clear()
                        self.reload()
                    if not web.is_alive():
                        raise RuntimeError("the web server stopped by itself")
            finally:
                self.prober.stop(self.options.grace_s)
                self._done.set()
                server.should_exit = True
                web.join(SERVER_STOP_S + 1)
                refresher.join(2)
                self.history.close()
                logger.info("serve stopped (%s)", stopping.reason or "stopped")

    def reload(self) -> None:
        """Load the journey files again; keep the running probes when they do not load."""
        try:
            probes = self.load_probes()
        except Exception as exc:  # a SpecError with its lines, or the files are gone
            problems = getattr(exc, "problems", None)
            for line in problems or [exc]:
                logger.error("reload refused, still probing the last good journeys: %s", line)
            return
        self.prober.replace(probes)
        self._seed_times()
        self.board.refresh(probes)
        self.reloads += 1
        logger.info("reloaded: %d probes", len(probes))

    def _seed_times(self) -> None:
        times = self.history.last_times()
        for probe in self.prober.probes():
            last_run, last_success = times.get(probe.series, (None, None))
            self.tallies.seed_times(probe.series, last_run, last_success)

    def _refresh_loop(self) -> None:
        purged = time.monotonic()
        while not self._done.wait(self.options.refresh_s):
            try:
                self.board.refresh(self.prober.probes())
                if time.monotonic() - purged >= PURGE_EVERY_S:
                    purged = time.monotonic()
                    self.history.purge()
            except Exception:  # the figures go stale (and say when), the probes go on
                logger.exception("could not refresh the budgets")

    def _state(self) -> ServeState:
        prober = self.prober
        return ServeState(
            prober.in_flight(), prober.limits, prober.delays.snapshot(), self.board.refreshed
        )

    def _health(self) -> Health:
        refreshed = self.board.refreshed
        stale = refreshed is None or time.time() - refreshed > 10 * self.options.refresh_s + 60
        healthy = self.prober.running and not stale
        body: dict[str, object] = {
            "status": "ok" if healthy else "unhealthy",
            "scheduler": "running" if self.prober.running else "stopped",
            "probes": len(self.prober.probes()),
            "in_flight": self.prober.in_flight(),
            "most_in_flight": self.prober.most_in_flight(),
            "limits": self.prober.limits,
            "budgets_refreshed": refreshed,
            "reloads": self.reloads,
        }
        return Health(healthy, body)

    def _page(self) -> str:
        totals = self.history.totals()
        figures = self.board.latest()
        views = [
            probe_view(
                self.history,
                probe.series,
                probe.plan.describe(),
                self.prober.next_fire(probe),
                totals.get(probe.series),
                [b for b in figures if b.series == probe.series],
            )
            for probe in sorted(self.prober.probes(), key=lambda p: p.series)
        ]
        return render_page(
            views,
            started=self.started,
            location=self.options.location,
            window_s=self.options.slo_window_s,
            in_flight=self.prober.in_flight(),
            limits=self.prober.limits,
        )


@contextlib.contextmanager
def _listening(host: str, port: int) -> Iterator[socket.socket]:
    # Bound here, not by uvicorn (which answers a busy port with sys.exit(1)): OSError, exit 2.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        yield sock


@contextlib.contextmanager
def _sighup(reload: threading.Event) -> Iterator[None]:
    """SIGHUP asks for a reload (not a stop, as it does for the measuring commands)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_hup(signum: int, frame: FrameType | None) -> None:
        reload.set()

    saved = signal.signal(signal.SIGHUP, on_hup)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, saved)
