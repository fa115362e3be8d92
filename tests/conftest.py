from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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
    "wait_for",
    "wait_until_healthy",
]


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real demo shop on loopback, shared by the session because start-up costs ~1 s."""
    with running_demo_shop(tmp_path_factory.mktemp("shop")) as url:
        yield url


def wait_for(condition: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.02) -> float:
    """Poll until `condition()` holds; return the seconds it took.

    In place of a sleep before an assertion: a fixed sleep is either too short on a busy CI
    machine (a flaky failure) or longer than needed everywhere else (a slow suite). Raises
    AssertionError when `timeout_s` passes first.
    """
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"condition not met within {timeout_s}s")
        time.sleep(interval_s)
    return time.monotonic() - started


@pytest.fixture(scope="session")
def prefixed_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real demo shop on loopback serving under `--root-path /en-gb`, shared by the session.

    Yields the base URL with the prefix, `http://127.0.0.1:PORT/en-gb`, so `f"{url}/cart"` is
    the cart; the same paths without the prefix answer 404.
    """
    with running_demo_shop(tmp_path_factory.mktemp("prefixed-shop"), root_path="/en-gb") as url:
        yield url
