"""`make demo`'s script end to end: it starts the shop, probes, rehearses, writes, stops the shop."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_demo_probes_and_rehearses_the_demo_shop_then_stops_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        cwd=tmp_path,  # its reports land below the folder it runs from
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    reports = tmp_path / "reports"
    (run_folder,) = reports.glob("*-run")
    (load_folder,) = reports.glob("*-load")
    assert (reports / "latest").resolve() == load_folder.resolve()

    probes = json.loads((run_folder / "results.json").read_text())
    assert probes["verdict"] == "pass"
    shipped = {path.stem for path in (ROOT / "journeys").glob("*.yaml")}
    assert {entry["name"] for entry in probes["journeys"]} == shipped
    assert {entry["engine"] for entry in probes["journeys"]} == {"http", "browser"}
    assert all(entry["attempts"] == 3 for entry in probes["journeys"])

    rehearsal = json.loads((load_folder / "results.json").read_text())
    assert rehearsal["command"] == "load" and rehearsal["verdict"] == "pass"
    # the smoke profile states no expected peak: the report says what it was, first
    assert rehearsal["load"]["rehearsed"] == "held 8 users for 18 s: not a peak rehearsal"
    assert "not a peak rehearsal" in (load_folder / "index.html").read_text()
    for folder in (run_folder, load_folder):
        for name in ("junit.xml", "index.html", "metrics.prom"):
            assert (folder / name).stat().st_size > 0, folder / name

    match = re.search(r"demo shop at (http://\S+);", done.stdout)
    assert match is not None, done.stdout
    with pytest.raises(httpx.ConnectError):  # the shop is stopped
        httpx.get(f"{match.group(1)}/health", timeout=2)
