"""Browser probes in `journey serve`: through the one browser, within their bound, no litter.

A passing storefront journey and a failing one (the cart answers 503) every 2 s on one
Chromium with `--browser-concurrency 1`: both are counted by result, at most one browser run
is ever in flight, and the failing run's screenshot is not left on disk (serve keeps none, so
an outage cannot fill it).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from runner.demoshop.process import running_demo_shop
from tests.conftest import wait_for
from tests.serve.processes import running_serve

pytestmark = pytest.mark.slow

JOURNEY = """\
journey: {name}
timeout: 10s
schedule: {{every: 2s}}
browser:
  - goto: {path}
  - name: {step}
    timeout: 3s
    expect: {{visible: "{selector}"}}
"""


def test_browser_probes_run_on_the_one_browser_within_their_bound_and_leave_no_files(
    tmp_path: Path,
) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    (journeys / "home.yaml").write_text(
        JOURNEY.format(name="home", path="/", step="search box", selector="#q")
    )
    (journeys / "basket.yaml").write_text(
        JOURNEY.format(name="basket", path="/cart", step="cart page", selector="h1")
    )
    # serve's scratch folder lands here; short, as Chromium's socket path must be
    scratch = Path(tempfile.mkdtemp(prefix="jsb-", dir="/tmp"))
    with (
        running_demo_shop(tmp_path, "cart:errors=100%") as shop,
        running_serve(
            [journeys],
            "--target",
            shop,
            "--db",
            str(tmp_path / "s.db"),
            "--engine",
            "browser",
            log=tmp_path / "serve.log",
            timeout_s=60,
            env={"TMPDIR": str(scratch)},
        ) as served,
    ):

        def counted() -> bool:
            passed = served.value("journey_runs_total", journey="home", result="success") or 0
            failed = served.value("journey_runs_total", journey="basket", result="failure") or 0
            return passed >= 2 and failed >= 2

        wait_for(counted, timeout_s=40, interval_s=0.5)
        health = served.health()
        assert health["limits"] == {"browser": 1}
        assert health["most_in_flight"]["browser"] == 1
        assert served.value("journey_runs_total", journey="basket", result="success") == 0
        assert not list(scratch.rglob("*.png")), "a failed run's screenshot was left behind"
        assert served.stop() == 0
    shutil.rmtree(scratch, ignore_errors=True)
