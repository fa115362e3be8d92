from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from selectolax.lexbor import LexborHTMLParser, LexborNode


def html(response: httpx.Response) -> LexborHTMLParser:
    assert "text/html" in response.headers["content-type"]
    return LexborHTMLParser(response.text)


def one(tree: LexborHTMLParser, selector: str) -> LexborNode:
    nodes = tree.css(selector)
    assert len(nodes) == 1, f"{selector}: expected one element, found {len(nodes)}"
    return nodes[0]


def csrf_token(response: httpx.Response) -> str:
    value = one(html(response), "input[name=csrf_token]").attributes["value"]
    assert value
    return value


def stock(base_url: str, sku: str) -> int:
    response = httpx.get(f"{base_url}/api/stock/{sku}")
    assert response.status_code == 200
    return int(response.json()["stock"])


def api_order(client: httpx.Client, sku: str, qty: int = 1) -> dict[str, Any]:
    assert client.post("/api/cart/items", json={"sku": sku, "qty": qty}).status_code == 201
    response = client.post("/api/orders", json={"email": "shopper@example.test"})
    assert response.status_code == 201, response.text
    return dict(response.json())


def request_counts(base_url: str) -> tuple[Counter[tuple[str, str, str]], Counter[str]]:
    text = httpx.get(f"{base_url}/metrics").text
    requests: Counter[tuple[str, str, str]] = Counter()
    durations: Counter[str] = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "demoshop_requests_total":
                labels = sample.labels
                requests[(labels["group"], labels["method"], labels["status"])] += int(sample.value)
            elif sample.name == "demoshop_request_duration_seconds_count":
                durations[sample.labels["group"]] += int(sample.value)
    return requests, durations
