from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from runner.demoshop.server import serve
from tests.conftest import free_port, wait_until_healthy


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shop_stops_cleanly_on_signal(workers: int, sig: signal.Signals) -> None:
    port = free_port()
    args = ["demo-shop", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", *args], stderr=subprocess.PIPE, text=True
    )
    try:
        url = wait_until_healthy(f"http://127.0.0.1:{port}", timeout_s=20, proc=proc)
        assert httpx.get(f"{url}/api/products/SKU-00001").status_code == 200
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    temporary_db = next(line for line in stderr.splitlines() if "demo shop on" in line)
    folder = temporary_db.split("(db ")[1].split(",")[0].rsplit("/", 1)[0]
    assert not Path(folder).exists()


def test_serve_rejects_bad_workers_and_db_folders(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid workers 0"):
        serve(host="127.0.0.1", port=1, db=None, workers=0, faults=[])
    missing = str(tmp_path / "missing" / "shop.db")
    with pytest.raises(ValueError, match="invalid db"):
        serve(host="127.0.0.1", port=1, db=missing, workers=1, faults=[])


def test_orders_survive_a_restart_on_the_same_db(tmp_path: Path) -> None:
    from tests.conftest import running_demo_shop

    from .shopping import api_order

    with running_demo_shop(tmp_path) as shop, httpx.Client(base_url=shop) as client:
        first = api_order(client, "SKU-00001")
    with running_demo_shop(tmp_path) as shop, httpx.Client(base_url=shop) as client:
        assert client.get(f"/api/orders/{first['order_id']}").json() == first
        second = api_order(client, "SKU-00001")
    assert int(second["number"][4:]) == int(first["number"][4:]) + 1
