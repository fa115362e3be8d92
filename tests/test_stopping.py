"""The stop flag in-process: real signals to this process, handled by an installed Stopping."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from runner.stopping import Interrupted, Stopping
from tests.conftest import ROOT


def test_a_first_signal_only_sets_the_flag_where_the_work_looks_at_it() -> None:
    stopping = Stopping()
    with stopping.installed(), stopping.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        assert stopping.wait(2.0)
        assert stopping.requested() and stopping.reason == "stopped by SIGTERM"
        with pytest.raises(Interrupted):
            stopping.check()


def test_an_interruptible_stretch_is_cut_at_once() -> None:
    stopping = Stopping()
    started = time.monotonic()
    with stopping.installed(), stopping.deferred(), pytest.raises(Interrupted):
        with stopping.interruptible():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # an http request in the main thread: cut, not waited for
    assert time.monotonic() - started < 2


def test_code_that_never_looks_is_interrupted_at_once() -> None:
    stopping = Stopping()
    with stopping.installed(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(5)


def test_handlers_are_put_back_after_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with Stopping().installed():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_second_signal_exits_130_at_once_after_the_hard_stop_hooks() -> None:
    script = (
        "import os, signal, time\n"
        "from runner.stopping import Stopping\n"
        "s = Stopping().install()\n"
        "s.on_hard_stop(lambda: print('hook', flush=True))\n"
        "with s.deferred():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.1)\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, cwd=ROOT
    )
    assert done.returncode == 130, done.stderr
    assert done.stdout == "hook\n"
    assert "stopped at once" in done.stderr and "Traceback" not in done.stderr
