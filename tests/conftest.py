from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from runner.demoshop.process import (
    demo_shop_process,
    free_port,
    running_demo_shop,
    wait_until_healthy,
)

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = ROOT / "journeys"

# Property tests judge answers, not speed (timing lives in bench/): a deadline would fail them
# on a busy CI machine for no fault of the code.
settings.register_profile("journey", deadline=None)
settings.load_profile("journey")

__all__ = [
    "JOURNEYS",
    "ROOT",
    "demo_shop_process",
    "free_port",
    "running_demo_shop",
    "wait_until_healthy",
]


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real demo shop on loopback, shared by the session because start-up costs ~1 s."""
    with running_demo_shop(tmp_path_factory.mktemp("shop")) as url:
        yield url
