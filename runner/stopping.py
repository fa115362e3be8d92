"""Stopping on Ctrl-C, SIGTERM or SIGHUP: a flag that the work looks at, set by the signal.

Why a flag and not an exception: an exception raised by a signal handler lands wherever the
main thread happens to be (inside Playwright's dispatch, half-way through writing results.json,
in Locust's gevent hub) and leaves what it cut half done: Playwright then prints "Future
exception was never retrieved", a driver traceback, or the process exits 70. So, inside
`deferred()`, the first signal only sets the flag; the probe round, the browser flow and the
load master look at it between steps and rounds, stop there, and the command writes the
outputs of what was measured and exits 130. A second signal means "now": the hooks added with
`on_hard_stop` run (the load master kills its worker processes) and the process exits 130 at
once, its outputs unwritten.

Outside `deferred()` (a command that never looks at the flag, such as `validate`), and inside
`interruptible()` (code that holds nothing half done: an http request in the main thread, a
sleep between rounds), a first signal also raises `Interrupted` at once, as Python's own
KeyboardInterrupt would. Only the main thread's stretches count: signals are handled there.

Imports nothing of ours (every layer may use it); imports gevent only in `installed(gevent=
True)`, which only the gevent-patched `load` and `worker` processes ask for.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

logger = logging.getLogger(__name__)

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
EXIT_INTERRUPTED = 130  # as ExitCode.INTERRUPTED (runner/vocabulary.py), which imports nothing


class Interrupted(KeyboardInterrupt):
    """Work ended because a stop was asked for; the command turns it into exit 130.

    A KeyboardInterrupt, so that `except Exception` never swallows it on the way up.
    """


class Stopping:
    """Whether a stop has been asked for (`requested()`), and the signal handlers that ask.

    One per process, installed by `cli.main`; commands hand it down to what they run. A fresh
    one, never installed, is never requested: tests and library callers pass one they
    `request()` themselves.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal: int | None = None  # the first signal received, when one was
        self._modes: list[bool] = []  # the main thread's stretches: True raises at once
        self._hooks: list[Callable[[], None]] = []

    def requested(self) -> bool:
        """Whether a stop has been asked for."""
        return self._event.is_set()

    def request(self, signum: int = signal.SIGINT) -> None:
        """Ask for a stop, as a first signal does."""
        if self.signal is None:
            self.signal = signum
        self._event.set()

    def check(self) -> None:
        """Raise Interrupted if a stop has been asked for: call it where stopping is clean."""
        if self.requested():
            raise Interrupted(self.reason)

    def wait(self, timeout_s: float) -> bool:
        """Sleep up to `timeout_s`, less if a stop is asked for; return whether one was."""
        return self._event.wait(max(0.0, timeout_s))

    @property
    def reason(self) -> str:
        """`stopped by SIGTERM`, for reports; empty before any stop."""
        if self.signal is None:
            return "stopped" if self.requested() else ""
        return f"stopped by {signal.Signals(self.signal).name}"

    def on_hard_stop(self, hook: Callable[[], None]) -> None:
        """Run `hook` on a second signal, just before the process exits (kill children)."""
        self._hooks.append(hook)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[Stopping]:
        """Within: a first signal only sets the flag, which the code in here looks at."""
        with self._mode(raising=False):
            yield self

    @contextlib.contextmanager
    def interruptible(self) -> Iterator[None]:
        """Within: a first signal also raises Interrupted at once (nothing here is half done)."""
        self.check()
        with self._mode(raising=True):
            yield

    @contextlib.contextmanager
    def _mode(self, *, raising: bool) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals are handled in the main thread only: its stretches decide
            return
        self._modes.append(raising)
        try:
            yield
        finally:
            self._modes.pop()

    def install(self) -> Stopping:
        """Handle SIGINT, SIGTERM and SIGHUP with this object for the rest of the process.

        For `cli.main`, which owns its process; elsewhere prefer `installed()`. Does nothing
        outside the main thread, where Python cannot set handlers.
        """
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                signal.signal(sig, self._on_signal)
        return self

    def ending(self) -> None:
        """The command is done and its process exits: a signal from now on exits 130 at once.

        For `cli.main`, just before `sys.exit`: the interpreter's own exit is no place for an
        exception, which Python answers by killing itself with the signal (-2, not 130).
        Flushes stdout and stderr first, so nothing printed is lost to the quick exit. Once
        the atexit hooks run, Python puts back the default handlers while it finalises (~0.1
        s), which would kill it (-2): the signals are ignored from there, and the command's
        own exit code stands.
        """
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                signal.signal(sig, _exit_now)
            atexit.register(_ignore_signals)

    @contextlib.contextmanager
    def installed(self, *, gevent: bool = False) -> Iterator[Stopping]:
        """Handle SIGINT, SIGTERM and SIGHUP with this object until the block ends.

        `gevent=True` in a gevent-patched process: its hub then wakes for the signal at once,
        where a plain handler would wait for the hub's next Python callback.
        """
        if threading.current_thread() is not threading.main_thread():
            yield self  # only the main thread may set handlers; nothing to install
            return
        saved = {sig: signal.getsignal(sig) for sig in SIGNALS}
        watchers = []
        try:
            if gevent:
                import gevent as gevent_module  # only the load and worker processes have it

                watchers = [
                    gevent_module.signal_handler(sig, self._on_signal, sig, None) for sig in SIGNALS
                ]
            else:
                for sig in SIGNALS:
                    signal.signal(sig, self._on_signal)
            yield self
        finally:
            for watcher in watchers:
                watcher.cancel()
            for sig, handler in saved.items():
                if handler is not None:
                    signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.requested():
            self._hard_stop(signum)
        self.request(signum)
        logger.info("%s: stopping after the step in progress", self.reason)
        if not self._modes or self._modes[-1]:
            raise Interrupted(self.reason)

    def _hard_stop(self, signum: int) -> None:
        """The second signal: run the hooks, say so, and exit 130 now, outputs unwritten."""
        for hook in self._hooks:
            with contextlib.suppress(Exception):
                hook()
        name = signal.Signals(signum).name
        with contextlib.suppress(OSError):  # fd 2: sys.stderr may be any object by now
            os.write(2, f"journey: {name} again: stopped at once, outputs not written\n".encode())
        os._exit(EXIT_INTERRUPTED)


def _exit_now(signum: int, frame: FrameType | None) -> None:
    os._exit(EXIT_INTERRUPTED)


def _ignore_signals() -> None:
    for sig in SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
