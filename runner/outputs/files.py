"""Every file a run leaves in its output folder, written in one place.

`journey run`, `journey load` and `journey report` all write the same set (results.json,
junit.xml, index.html, metrics.prom), each through the Redactor, so adding an output or a
rule about them touches this module only.
"""

from __future__ import annotations

from pathlib import Path

from runner.document import ResultsDocument
from runner.outputs.html import write_html
from runner.outputs.junit import write_junit
from runner.outputs.prometheus import write_prometheus
from runner.outputs.results_json import write_results
from runner.redact import Redactor


def write_outputs(
    document: ResultsDocument,
    out_dir: Path,
    redactor: Redactor,
    *,
    artefacts_dir: Path | None = None,
) -> None:
    """Write every output of `document` into `out_dir`.

    `artefacts_dir` is where the screenshots and traces that results.json names live (by
    default `out_dir`): `journey report --out` renders a past run elsewhere.
    """
    write_results(document, out_dir / "results.json", redactor)
    write_junit(document, out_dir / "junit.xml", redactor)
    write_html(document, out_dir / "index.html", redactor, base_dir=artefacts_dir or out_dir)
    write_prometheus(document, out_dir / "metrics.prom", redactor)
