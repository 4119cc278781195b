# Every target sets itself up: the first use creates .venv and installs the project into it.
# The interpreter: PYTHON= if given, else the newest python3.X (3.11 or later) on the PATH that
# runs (a pyenv shim for a version that is not selected does not). VENV= picks another
# virtualenv, so several Pythons can be tested side by side (.ci/run does).
SUPPORTED := 3.11
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for minor in 20 19 18 17 16 15 14 13 12 11; do \
	python3.$$minor -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 \
	&& { echo python3.$$minor; break; }; done)
endif
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSET ?= ../shared/devset

.PHONY: run test lint typecheck bench bench-e2e bench-against validate eval fit vectors vectors-report clean python \
	equivalence answers-record answers-diff

# Refuses early and says why: no suitable Python, or one older than 3.11.
CHECK_PYTHON = @test -n "$(PYTHON)" || { echo "no python3.11 or newer found on the PATH; set PYTHON=/path/to/python3.11+"; exit 1; }; \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo "$(PYTHON) is not a Python $(SUPPORTED) or newer; set PYTHON=/path/to/python3.11+"; exit 1; }

$(STAMP): pyproject.toml
	$(CHECK_PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

# Which interpreter the targets use, and why: `make python`.
python:
	$(CHECK_PYTHON)
	@echo "$(PYTHON): $$($(PYTHON) -c 'import sys; print(sys.version.split()[0])') (virtualenv $(VENV))"

test: $(STAMP)
	$(BIN)/ruff check bot tests tools
	$(BIN)/mypy
	$(BIN)/python -m bot validate --strict
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bot tests tools

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
	-$(BIN)/python -m bot eval tests/out_of_scope.yaml  # measured, not gated
	-$(BIN)/python -m bot eval tests/out_of_scope_more.yaml  # measured, not gated
	-$(BIN)/python -m bot eval tests/conversations_independent.yaml  # measured, not gated
	-$(BIN)/python -m bot eval tests/lay_details.yaml  # measured, not gated
	-$(BIN)/python -m bot eval tests/lay_more.yaml  # measured, not gated
	-$(BIN)/python -m bot eval tests/lay_extra.yaml  # measured, not gated
	@# The development set lives beside the checkout, not in it: measured where it exists.
	@if [ -f $(DEVSET)/grade.py ]; then \
		$(BIN)/python $(DEVSET)/grade.py --cmd "$(BIN)/python -m bot ask --json" --max-answer-chars 1500 --no-topics; \
	else echo "no development set at $(DEVSET): skipped"; fi

# Refit the scoring model, its trees and the intent classifier (knowledge/scoring.yaml, scoring_trees.npz, classifier.npz)
# from the labelled training questions; deterministic, so a refit with the same data is a no-op.
fit: $(STAMP)
	$(BIN)/python -m bot fit --write knowledge/scoring.yaml --check tests/fresh.yaml --check tests/out_of_scope.yaml \
		--check tests/out_of_scope_more.yaml --check tests/lay_details.yaml \
		--check tests/lay_more.yaml --check tests/lay_extra.yaml

bench: $(STAMP)
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_scale
	$(BIN)/python -m tests.bench_hostile
	$(BIN)/python -m tests.bench_e2e
	$(BIN)/python -m tests.bench_e2e --replay
	$(BIN)/python -m tests.bench_misses

# End to end, then again with each answer replayed: what the bot costs around its engine.
bench-e2e: $(STAMP)
	$(BIN)/python -m tests.bench_e2e
	$(BIN)/python -m tests.bench_e2e --replay

# This tree's ask() latency against another commit's, alternating in one run: make bench-against REV=af5e1ed
bench-against: $(STAMP)
	$(BIN)/python -m tests.bench_against "$(REV)"

# No optimisation changes an answer: the fast engine against the reference one, in one run.
equivalence: $(STAMP)
	$(BIN)/python -m pytest tests/test_equivalence.py

# Every answer to every project question, to compare two commits: record on one, diff on the
# other (ANSWERS=FILE to choose where; the default is in /tmp, never in the checkout).
ANSWERS ?= /tmp/cnrp-answers.jsonl
answers-record: $(STAMP)
	$(BIN)/python -m tests.answers record $(ANSWERS)

answers-diff: $(STAMP)
	$(BIN)/python -m tests.answers diff $(ANSWERS)

# Build-only: the word-vector table in bot/data/ is committed, and nothing above rebuilds it.
# Its tools (torch, model2vec, the MiniLM weights) live in their own virtualenv, never in .venv.
VECTORS_VENV := .venv-vectors
VECTORS_STAMP := $(VECTORS_VENV)/.installed

$(VECTORS_STAMP): tools/vectors-requirements.txt
	$(CHECK_PYTHON)
	@test -x $(VECTORS_VENV)/bin/python || $(PYTHON) -m venv $(VECTORS_VENV)
	$(VECTORS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VECTORS_VENV)/bin/python -m pip install --quiet --no-deps -r tools/vectors-requirements.txt
	@touch $(VECTORS_STAMP)

vectors: $(VECTORS_STAMP)
	$(VECTORS_VENV)/bin/python tools/build_vectors.py

# Cosine similarities of synonym and unrelated word pairs, read from the committed table.
vectors-report: $(STAMP)
	$(BIN)/python tools/measure_vectors.py

clean:
	rm -rf $(VENV) .venv-3.* $(VECTORS_VENV) .pytest_cache .mypy_cache .ruff_cache build
