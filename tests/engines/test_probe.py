"""Probe runs: data feeders, surfaces and targets, against the real demo shop."""

from __future__ import annotations

from pathlib import Path

import yaml

from runner.engines.probe import ProbeOptions, pairs_of, run_probes
from runner.spec.loader import load_journey_text
from runner.spec.target import resolve_target


def test_a_unique_feeder_hands_each_row_out_once_then_fails_clearly(
    demo_shop: str, tmp_path: Path
) -> None:
    (tmp_path / "skus.csv").write_text("sku\nSKU-00001\nSKU-00002\n")
    document = {
        "journey": "unique",
        "data": {"row": {"csv": "skus.csv", "pick": "unique"}},
        "http": [
            {
                "name": "stock",
                "request": {"url": "/api/stock/{{ row.sku }}"},
                "expect": {"json": {"$.sku": "{{ row.sku }}"}},
            }
        ],
    }
    loaded = load_journey_text(yaml.safe_dump(document), path=str(tmp_path / "unique.yaml"))
    runs = list(
        run_probes(pairs_of([loaded], resolve_target(demo_shop, None)), ProbeOptions(repeat=3))
    )
    assert [r.outcome for r in runs] == ["passed", "passed", "error"]
    assert runs[2].reason == "data feeder 'row': every unique row has been used"


def test_steps_go_to_their_surface_of_a_named_target(demo_shop: str, tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    # the pos surface points at a port nobody listens on: only the pos step can fail
    targets.write_text(
        f"targets:\n  split:\n    base_url: {demo_shop}\n    pos: http://127.0.0.1:9\n    tenant: eu\n"
    )
    document = {
        "journey": "split",
        "http": [
            {"name": "api", "request": {"url": "/api/stock/SKU-00001"}},
            {"name": "till", "surface": "pos", "request": {"url": "/pos/v1/sales/batches/x"}},
        ],
    }
    loaded = load_journey_text(yaml.safe_dump(document), path=str(tmp_path / "split.yaml"))
    target = resolve_target("split", targets)
    assert target.tenant == "eu"
    (run,) = run_probes(pairs_of([loaded], target), ProbeOptions())
    assert [s.outcome for s in run.steps] == ["passed", "error"]
    assert run.steps[1].reason.startswith("cannot connect to http://127.0.0.1:9")
