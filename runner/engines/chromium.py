"""Finding and launching the Chromium that browser probes run in.

Browsers are never downloaded (Playwright's CDN is out of reach where this runs). The order:
`--browser-path` / `JOURNEY_BROWSER`, Playwright's own Chromium if installed, then Debian's
`/usr/bin/chromium`. The launch flags are the ones that work headless as root in a container
with no outside network.

Two launch choices are about who is in charge:
- Playwright's own handlers for SIGINT, SIGTERM and SIGHUP are off: by default its driver closes
  Chromium on a Ctrl-C, under a step still running, and journey could no longer decide to end
  that step, close the session and write the outputs (runner/stopping.py).
- The targets' own ports are explicitly allowed: Chromium refuses some ports outright
  (6665-6669, 6000, 5060, ... `net::ERR_UNSAFE_PORT`), where curl and httpx connect, and a
  shop served there must be probed in a browser as it is over http.

Playwright's driver (node) has no public handle: `driver_pid` and `forget_driver_error` reach
it through private attributes, each guarded so that a Playwright that renamed them only loses
what they add (a kill after the stop's grace; silence about a dead driver's pipe).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Playwright

from runner.errors import Problem, SpecError

LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)
DEBIAN_CHROMIUM = "/usr/bin/chromium"


def find_browser(playwright: Playwright, explicit: str | None = None) -> str:
    """Path of the Chromium to launch. Raises SpecError (exit 2) when there is none."""
    wanted = explicit or os.environ.get("JOURNEY_BROWSER")
    if wanted:
        path = shutil.which(wanted) or wanted
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
        source = "--browser-path" if explicit else "JOURNEY_BROWSER"
        raise SpecError([Problem(source, 1, 1, ("browser",), f"no executable at {wanted!r}")])
    bundled = playwright.chromium.executable_path
    if bundled and Path(bundled).is_file():
        return bundled
    for candidate in (DEBIAN_CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    message = (
        "no Chromium found: install Debian's chromium (apt-get install -y chromium) "
        "or set JOURNEY_BROWSER"
    )
    raise SpecError([Problem("--engine", 1, 1, ("browser",), message)])


def ports_of(urls: Iterable[str]) -> set[int]:
    """The ports `urls` name, default ports (80, 443, which Chromium always allows) left out."""
    ports = set()
    for url in urls:
        try:
            port = urlsplit(url).port
        except ValueError:  # not a URL with a port we can read: nothing to allow
            continue
        if port is not None and port not in (80, 443):
            ports.add(port)
    return ports


def launch_args(allowed_ports: Iterable[int] = ()) -> list[str]:
    """The flags above, and `--explicitly-allowed-ports` for `allowed_ports` when there are any."""
    ports = sorted(set(allowed_ports))
    allowed = [f"--explicitly-allowed-ports={','.join(map(str, ports))}"] if ports else []
    return [*LAUNCH_ARGS, *allowed]


def launch_chromium(
    playwright: Playwright, explicit: str | None = None, *, allowed_ports: Iterable[int] = ()
) -> Browser:
    """Launch headless Chromium with the flags above, leaving every signal to journey.

    Raises SpecError (exit 2) when there is no Chromium, Playwright's Error when it will not
    start.
    """
    path = find_browser(playwright, explicit)
    return playwright.chromium.launch(
        executable_path=path,
        headless=True,
        args=launch_args(allowed_ports),
        handle_sigint=False,
        handle_sigterm=False,
        handle_sighup=False,
    )


def driver_pid(playwright: Playwright) -> int | None:
    """The pid of Playwright's driver process; None where Playwright's private path changed."""
    manager = getattr(playwright.stop, "__self__", None)  # sync_playwright()'s context manager
    transport = getattr(getattr(manager, "_client", None), "_transport", None)
    pid = getattr(getattr(transport, "_proc", None), "pid", None)
    return pid if isinstance(pid, int) else None


def forget_driver_error(playwright: Playwright) -> None:
    """Read the error a dead driver left in a future that nobody awaits, after `stop()`.

    Otherwise asyncio prints "Future exception was never retrieved" (Connection closed while
    reading from the driver) when the process exits: noise after a stop, never our failure.
    """
    manager = getattr(playwright.stop, "__self__", None)
    transport = getattr(getattr(manager, "_client", None), "_transport", None)
    future = getattr(transport, "on_error_future", None)
    if future is not None and future.done() and not future.cancelled():
        future.exception()
