# chiso — two commands matter: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint fmt bench bench-web screenshots clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

.stamp-install: $(BIN)/python pyproject.toml
	$(PIP) install -e .
	@touch $@

.stamp-test: .stamp-install pyproject.toml
	$(PIP) install -e '.[test]'
	@touch $@

demo: .stamp-install  ## install and run the end-to-end demo on the embedded DuckDB store
	$(BIN)/chiso demo

test: .stamp-test  ## install test dependencies, then run lint and every test
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/python -m pytest

lint: .stamp-test  ## ruff
	$(BIN)/ruff check src tests $(wildcard bench)

fmt: .stamp-test  ## ruff autofix
	$(BIN)/ruff check --fix src tests $(wildcard bench)

bench: .stamp-test  ## benchmarks (by hand; figures go to docs/benchmarks.md)
	$(BIN)/python -m bench

bench-web: .stamp-test  ## web pages and API at 1M dossiers, 20 users (by hand; figures go to docs/benchmarks.md)
	$(BIN)/python -m bench.web_bench

screenshots: .stamp-test  ## browser tests that also refresh docs/screenshots/*.png (needs /usr/bin/chromium)
	CHISO_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_web_browser.py

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .stamp-* .pytest_cache .ruff_cache .hypothesis
