"""The Dockerfile: read for what only Docker could run, and run for what concerns our package.

No Docker engine here: `built_image` (conftest.py) does its COPY lines and its package's RUN
lines into a folder; these tests then run the console script it installed, from its WORKDIR,
as the ENTRYPOINT would. What is only read: the base image, apt-get, the user, USER, EXPOSE.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import sync_playwright

from runner.engines.chromium import launch_chromium
from tests.deploy.conftest import Image
from tests.deploy.kube import ROOT, WORKDIR, dockerfile, image_env, image_uid


def test_the_image_runs_journey_under_tini_as_a_fixed_non_root_user() -> None:
    assert dockerfile("ENTRYPOINT") == ['["/usr/bin/tini", "--", "journey"]']
    (run_apt,) = [r for r in dockerfile("RUN") if "apt-get install" in r]
    assert {"chromium", "tini"} <= set(run_apt.split())
    uid = image_uid()
    assert uid >= 10000  # above any uid a host or base image hands out
    (users,) = [r for r in dockerfile("RUN") if "useradd" in r]
    assert f"--uid {uid}" in users and "--home-dir /var/lib/journey" in users
    assert f"-o {uid}" in users and "/var/lib/journey /reports" in users
    assert image_env()["HOME"] == "/var/lib/journey"
    # the browser journey finds: Debian's, which apt-get installs at this path
    assert image_env()["JOURNEY_BROWSER"] == "/usr/bin/chromium"
    assert "9464" in dockerfile("EXPOSE")[0].split()  # serve's /metrics and /healthz
    assert not dockerfile("HEALTHCHECK")  # Kubernetes probes /healthz itself
    assert dockerfile("WORKDIR") == [WORKDIR]


@pytest.mark.slow  # builds and installs the package: ~4 s
def test_the_package_installs_from_the_copied_source_with_everything_it_ships(
    built_image: Image,
) -> None:
    # what pip built from what the COPY lines copied: every module and data file of runner/
    shipped = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "runner").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    installed = {
        p.relative_to(built_image.site).as_posix()
        for p in (built_image.site / "runner").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped <= installed, sorted(shipped - installed)
    # and the source it was built from is gone, as the RUN line removes it
    assert not built_image.path("/tmp/journey-src").exists()


@pytest.mark.slow
def test_the_entrypoint_runs_the_installed_console_script(built_image: Image) -> None:
    # CMD ["--help"]: `docker run journey` prints the commands
    (cmd,) = dockerfile("CMD")
    done = built_image.run(json.loads(cmd))
    assert done.returncode == 0, done.stderr
    for command in ("run", "load", "worker", "serve", "demo-shop"):
        assert command in done.stdout
    # the installed copy answers, not the repository's editable one
    where = subprocess.run(
        [sys.executable, "-c", "import runner; print(runner.__file__)"],
        capture_output=True,
        text=True,
        env=built_image.environ({}),
        cwd=built_image.workdir,
        timeout=60,
    )
    assert Path(where.stdout.strip()).is_relative_to(built_image.site), where


@pytest.mark.slow
def test_the_shipped_journeys_and_profiles_are_found_from_the_workdir(built_image: Image) -> None:
    # `journey load flash-sale` finds the profile under WORKDIR/loadprofiles: the installed
    # package has none beside it, so in the image this is the only place it is found
    code = "from runner.commands.load import resolve_profile; print(resolve_profile('flash-sale'))"
    found = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=built_image.environ({}),
        cwd=built_image.workdir,
        timeout=60,
    )
    assert found.stdout.strip() == "loadprofiles/flash-sale.yaml", found.stdout + found.stderr
    done = built_image.run(["validate", "journeys", "loadprofiles"])
    assert done.returncode == 0, done.stdout + done.stderr
    # outputs land in /reports, which the image user owns, through reports -> /reports
    assert built_image.path(f"{WORKDIR}/reports").resolve() == built_image.path("/reports")


@pytest.mark.slow  # one Chromium start: ~1 s
@pytest.mark.browser
def test_journey_starts_chromium_without_dev_shm() -> None:
    """The Dockerfile relies on Playwright's --disable-dev-shm-usage: it must reach Chromium.

    Kubernetes gives a container a 64 MiB /dev/shm; a Chromium using it crashes on large
    pages. Read off the command line of the browser process that journey's launch started.
    """
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            browsers = [
                p.cmdline()
                for p in psutil.Process().children(recursive=True)
                if "--remote-debugging-pipe" in p.cmdline()
            ]
        finally:
            browser.close()
    assert browsers, "no Chromium process found under this one"
    for cmdline in browsers:
        assert "--disable-dev-shm-usage" in cmdline
        assert "--no-sandbox" in cmdline  # the pods drop every capability: no setuid sandbox


def test_debians_chromium_wrapper_keeps_the_flags_it_is_given() -> None:
    # JOURNEY_BROWSER is Debian's /usr/bin/chromium, a shell script: it must pass Playwright's
    # flags on to the real binary ("$@" after its own), which is what Debian's script does
    wrapper = Path("/usr/bin/chromium")
    if not wrapper.exists():
        pytest.fail("Debian's chromium is not installed: `make test` installs it")
    text = wrapper.read_text()
    assert re.search(r'exec \$LIBDIR/\$APPNAME \$CHROMIUM_FLAGS "\$@"', text)
