"""Several targets side by side, tenants capped, a secret header that never reaches /metrics."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from runner.demoshop.process import running_demo_shop
from tests.conftest import wait_for
from tests.serve.journeys import write_journey
from tests.serve.processes import running_serve

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-token-4711"
LATE = "l4te-t0ken-0815"


def test_targets_are_probed_side_by_side_with_tenants_capped_and_secrets_kept_out(
    tmp_path: Path,
) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    write_journey(journeys, "catalogue", "/api/products?q=shoe", step="search api")
    # a failing check whose reason quotes the secret's value: it must be scrubbed everywhere
    (journeys / "missing.yaml").write_text(
        "journey: missing\n"
        "schedule: {every: 1s}\n"
        "http:\n"
        "  - name: lookup\n"
        "    request: {url: /api/products/NOPE-1}\n"
        '    expect: {status: 404, json: {"$.error": "${SHOP_TOKEN}"}}\n'
    )
    with running_demo_shop(tmp_path) as shop:
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            "targets:\n"
            + "".join(
                f"  shop-{name}:\n    base_url: {shop}\n    tenant: {name}\n"
                f"    headers: {{Authorization: 'Bearer ${{SHOP_TOKEN}}'}}\n"
                for name in ("acme", "bolt", "cask")
            )
        )
        flags = ["--targets", str(targets), "--max-tenants", "2", "--db", str(tmp_path / "s.db")]
        for name in ("acme", "bolt", "cask"):
            flags += ["--target", f"shop-{name}"]
        with running_serve(
            [journeys],
            *flags,
            log=tmp_path / "serve.log",
            env={"SHOP_TOKEN": SECRET, "LATE_TOKEN": LATE},
        ) as served:

            def by_target() -> dict[tuple[str, str], float]:
                out: dict[tuple[str, str], float] = {}
                for family in text_string_to_metric_families(served.metrics()):
                    for s in family.samples:
                        if s.name == "journey_runs_total" and s.labels["journey"] == "catalogue":
                            key = (s.labels["target"], s.labels["tenant"])
                            out[key] = out.get(key, 0) + s.value
                return out

            wait_for(lambda: min(by_target().values()) >= 2, timeout_s=20, interval_s=0.3)
            assert set(by_target()) == {
                ("shop-acme", "acme"),
                ("shop-bolt", "bolt"),
                ("shop-cask", "other"),
            }
            wait_for(
                lambda: (
                    (served.value("journey_runs_total", journey="missing", result="failure") or 0)
                    >= 3
                ),
                timeout_s=20,
            )
            # a journey added by SIGHUP brings a secret of its own: scrubbed as well
            (journeys / "late.yaml").write_text(
                (journeys / "missing.yaml")
                .read_text()
                .replace("journey: missing", "journey: late")
                .replace("SHOP_TOKEN", "LATE_TOKEN")
            )
            served.proc.send_signal(signal.SIGHUP)
            wait_for(
                lambda: (
                    (served.value("journey_runs_total", journey="late", result="failure") or 0) >= 2
                ),
                timeout_s=20,
            )
            page = httpx.get(served.url, timeout=5).text
            assert "$.error" in page and "***" in page  # the failure's reason is shown...
            for text in (served.metrics(), page, served.log.read_text()):
                assert SECRET not in text and LATE not in text  # ...with secrets scrubbed
        history = (tmp_path / "s.db").read_bytes()
        assert SECRET.encode() not in history and LATE.encode() not in history
