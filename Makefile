# `make demo` and `make test` each set up everything they need on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint setup clean chromium promtool pushgateway

setup: $(STAMP)

$(STAMP): pyproject.toml
	# Debian's python3 needs python3-venv for `-m venv`; install it only when venv fails.
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
		(apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV))
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Browsers are never downloaded: Debian's chromium is installed when no Chromium is found.
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		test -n "$$JOURNEY_BROWSER" || (apt-get update && apt-get install -y chromium)

# metrics.prom is checked by `promtool check metrics` (tests/outputs/test_promtool.py fails
# without it): Debian's prometheus package ships promtool, installed only when it is missing.
# No recommends: they add node-exporter and smartmontools, which the tests never use.
promtool:
	@command -v promtool >/dev/null || \
		(apt-get update && apt-get install -y --no-install-recommends prometheus)

# `journey run --push-to` is tested against a real Pushgateway (tests/outputs/test_pushgateway.py
# fails without it): Debian's prometheus-pushgateway, installed only when it is missing.
pushgateway:
	@command -v prometheus-pushgateway >/dev/null || \
		(apt-get update && apt-get install -y --no-install-recommends prometheus-pushgateway)

demo: $(STAMP) chromium
	$(BIN)/python scripts/demo.py

test: $(STAMP) chromium promtool pushgateway
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The tests not marked slow, for the edit-test loop: under a minute. `make test` still runs them all.
test-fast: $(STAMP) chromium promtool pushgateway
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) reports/2* reports/latest
