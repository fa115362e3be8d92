"""Finding and launching the Chromium that browser probes run in.

Browsers are never downloaded (Playwright's CDN is out of reach where this runs). The order:
`--browser-path` / `JOURNEY_BROWSER`, Playwright's own Chromium if installed, then Debian's
`/usr/bin/chromium`. The launch flags are the ones that work headless as root in a container
with no outside network.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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


def launch_chromium(playwright: Playwright, explicit: str | None = None) -> Browser:
    """Launch headless Chromium with the flags above."""
    path = find_browser(playwright, explicit)
    return playwright.chromium.launch(executable_path=path, headless=True, args=list(LAUNCH_ARGS))
