# Every target sets itself up: the first use creates .venv and installs the project into it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench bench-e2e validate eval clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11+"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

test: $(STAMP)
	$(BIN)/ruff check bot tests
	$(BIN)/mypy
	$(BIN)/python -m bot validate --strict
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests

typecheck: $(STAMP)
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/python -m bot validate --strict

eval: $(STAMP)
	$(BIN)/python -m bot eval tests/questions.yaml
	$(BIN)/python -m bot eval tests/analytics.yaml
	$(BIN)/python -m bot eval tests/conversations.yaml
	-$(BIN)/python -m bot eval tests/fresh.yaml  # measured, not gated
	-$(BIN)/python -m bot eval tests/holdout.yaml  # measured, not gated

bench: $(STAMP)
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_hostile
	$(BIN)/python -m tests.bench_e2e

bench-e2e: $(STAMP)
	$(BIN)/python -m tests.bench_e2e

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
