"""captures.jsonl: one scrubbed line per recorded value, streamed, and only when there is one.

The writer is tested on its own (lines readable before it closes, secrets and card numbers
masked, no file nor folder for a run that records nothing, an earlier run's file replaced),
then through `journey run` against the demo shop: the file, results.json's count and the
JUnit property agree, and a command that exits 2 leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from runner.outputs.captures import CAPTURES_FILE, CapturesFile
from runner.redact import Redactor
from runner.results import JourneyRun, RecordedValue, StepResult
from tests.conftest import ROOT

STARTED = 1_800_000_000.25  # 2027-01-15T08:00:00.250Z


def recording_run(iteration: int, *values: str) -> JourneyRun:
    step = StepResult(
        "checkout",
        "place order",
        "browser",
        "passed",
        STARTED,
        0.3,
        recorded=tuple(("order_number", value) for value in values),
    )
    return JourneyRun("checkout", "browser", iteration, STARTED - 1, 1.5, (step,))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_value_is_a_line_readable_as_soon_as_its_run_ends(tmp_path: Path) -> None:
    path = tmp_path / "out" / CAPTURES_FILE
    with CapturesFile(path, Redactor()) as captures:
        captures.add_run(recording_run(0, "ORD-000001"))
        assert lines(path) == [  # flushed, not held until the run's end
            {
                "journey": "checkout",
                "engine": "browser",
                "iteration": 0,
                "step": "place order",
                "capture": "order_number",
                "value": "ORD-000001",
                "at": "2027-01-15T08:00:00.250Z",
            }
        ]
        captures.add_run(recording_run(1, "ORD-000002", "ORD-000003"))
        assert [line["value"] for line in lines(path)] == ["ORD-000001", "ORD-000002", "ORD-000003"]
    assert captures.written == 3


def test_lines_are_scrubbed_of_secrets_and_card_numbers(tmp_path: Path) -> None:
    path = tmp_path / CAPTURES_FILE
    with CapturesFile(path, Redactor(["tok-s3cr3t"])) as captures:
        captures.add_run(recording_run(0, "ORD-1 tok-s3cr3t", "4242 4242 4242 4242"))
    text = path.read_text(encoding="utf-8")
    assert "tok-s3cr3t" not in text and "4242" not in text
    assert [line["value"] for line in lines(path)] == ["ORD-1 ***", "[card]"]


def test_nothing_recorded_makes_no_file_and_no_folder(tmp_path: Path) -> None:
    path = tmp_path / "never" / CAPTURES_FILE
    with CapturesFile(path, Redactor()) as captures:
        captures.add_run(recording_run(0))
        captures.extend([])
        captures.append_file(tmp_path / "no-such-probes" / CAPTURES_FILE)
    captures.complete()
    assert not path.parent.exists()


def test_an_earlier_run_s_file_is_replaced_or_removed(tmp_path: Path) -> None:
    path = tmp_path / CAPTURES_FILE
    path.write_text('{"value": "from an earlier run"}\n', encoding="utf-8")
    with CapturesFile(path, Redactor()) as captures:
        captures.add_run(recording_run(0, "ORD-NEW"))
    assert [line["value"] for line in lines(path)] == ["ORD-NEW"]
    silent = CapturesFile(path, Redactor())
    silent.complete()  # this run recorded nothing: the file beside its results.json goes
    assert not path.exists()


def test_values_from_workers_and_the_probes_file_append_after_a_close(tmp_path: Path) -> None:
    # `journey load`: the master appends workers' values, closes, then adds the probes' file
    path = tmp_path / CAPTURES_FILE
    probes = tmp_path / "probes" / CAPTURES_FILE
    probes.parent.mkdir()
    probes.write_text('{"value": "ORD-P1 tok-s3cr3t"}\n\n', encoding="utf-8")
    captures = CapturesFile(path, Redactor(["tok-s3cr3t"]))
    value = RecordedValue("checkout", "http", 3, "place order", "order_number", "ORD-W1", STARTED)
    captures.add(value)
    captures.close()
    captures.append_file(probes)
    captures.complete()
    assert [line["value"] for line in lines(path)] == ["ORD-W1", "ORD-P1 ***"]
    assert captures.written == 2


RECORDING_JOURNEY = """\
journey: lookup
description: reads the first SKU the product search returns
channel: web
slo: {success: 50%}
http:
  - name: search api
    request:
      url: /api/products
      query: {q: shirt}
      headers: {x-probe-token: "${PROBE_TOKEN}"}
    expect: {status: 200}
    capture:
      sku: {json: "$.items[0].sku", record: true}
      name: "$.items[0].name"
"""


def journey(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def test_journey_run_streams_what_it_records_and_counts_it_everywhere(
    demo_shop: str, tmp_path: Path
) -> None:
    path = tmp_path / "lookup.yaml"
    path.write_text(RECORDING_JOURNEY, encoding="utf-8")
    out = tmp_path / "out"
    secret = {"PROBE_TOKEN": "SKU-00002"}  # the SKU itself is a secret here: masked everywhere
    done = journey(
        "run", str(path), "--target", demo_shop, "--repeat", "3", "--out", str(out), env=secret
    )
    assert done.returncode in (0, 4), done.stdout + done.stderr
    found = lines(out / CAPTURES_FILE)
    assert [(line["iteration"], line["capture"], line["value"]) for line in found] == [
        (i, "sku", "***") for i in range(3)
    ]
    assert "SKU-00002" not in (out / CAPTURES_FILE).read_text(encoding="utf-8")
    (entry,) = json.loads((out / "results.json").read_text())["journeys"]
    assert entry["recorded"]["count"] == 3 and entry["recorded"]["file"] == CAPTURES_FILE
    assert [v["value"] for v in entry["recorded"]["first"]] == ["***"] * 3
    root = ET.parse(out / "junit.xml").getroot()
    props = {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}
    assert props["journey.recorded_captures"] == "3"


def test_a_journey_recording_nothing_leaves_no_captures_file(
    demo_shop: str, tmp_path: Path
) -> None:
    path = tmp_path / "lookup.yaml"
    path.write_text(RECORDING_JOURNEY.replace(", record: true", ""), encoding="utf-8")
    out = tmp_path / "out"
    done = journey(
        "run",
        str(path),
        "--target",
        demo_shop,
        "--out",
        str(out),
        env={"PROBE_TOKEN": "t0k3n-value"},
    )
    assert done.returncode in (0, 4), done.stdout + done.stderr
    assert (out / "results.json").exists() and not (out / CAPTURES_FILE).exists()
    (entry,) = json.loads((out / "results.json").read_text())["journeys"]
    assert entry["recorded"] is None  # nothing marked: null, not a count of 0


def test_a_command_that_exits_2_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "lookup.yaml"
    path.write_text(RECORDING_JOURNEY, encoding="utf-8")
    out = tmp_path / "out"
    done = journey(
        "run", str(path), "--target", "http://127.0.0.1:9", "--tag", "nope", "--out", str(out)
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert not out.exists()
