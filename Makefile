# newsstream — every target creates .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-faults lint eval bench fmt clean chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,rocksdb]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsstream run $(ARGS)

# Debian's chromium for the live-page browser test (skipped without it, except in CI)
chromium:
	sh scripts/install-chromium.sh

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -m "not faults" $(PYTEST_ARGS)

test-faults: $(STAMP)
	$(BIN)/python -m pytest -q -m faults $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: $(STAMP)
	$(BIN)/newsstream eval

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
