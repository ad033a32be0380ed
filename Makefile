# media-stream: `make run` serves on embedded defaults, `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint types contracts unit integration bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/media-stream serve

lint: $(STAMP)
	$(BIN)/ruff check --no-cache src tests bench
	$(BIN)/ruff format --no-cache --check src tests bench

types: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(STAMP)
	$(BIN)/pytest tests/integration -q

test: lint types contracts
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/transform_bench.py
	$(BIN)/python bench/cache_bench.py
	$(BIN)/python bench/quality_bench.py
	$(BIN)/python bench/case_bench.py
	$(BIN)/python bench/miss_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
