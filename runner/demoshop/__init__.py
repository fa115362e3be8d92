"""The demo shop: the embedded retail system that journeys are rehearsed against.

A small but real shop (storefront HTML, JSON API, POS sales API with asynchronous stock
updates, order export feed) on SQLite, with fault injection per route group and Prometheus
metrics. It is the target, not the tester: nothing here imports the rest of `runner`.
See docs/demo-shop.md for the HTTP contract.
"""

from __future__ import annotations

from runner.demoshop.app import create_app
from runner.demoshop.faults import FaultSettings, parse_fault_spec, parse_fault_specs
from runner.demoshop.server import serve

__all__ = ["FaultSettings", "create_app", "parse_fault_spec", "parse_fault_specs", "serve"]
