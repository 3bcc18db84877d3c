# Two set-up commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The oldest Python pyproject.toml's requires-python (">=X.Y") accepts.
NEEDS_PYTHON := $(shell sed -n 's/^requires-python = ">=\([0-9.]*\)"$$/\1/p' pyproject.toml)

.PHONY: run test lint typecheck pytest clean

$(STAMP): pyproject.toml
	$(if $(NEEDS_PYTHON),,$(error cannot read requires-python = ">=X.Y" in pyproject.toml))
	@$(PYTHON) -c 'import sys; need = tuple(int(n) for n in "$(NEEDS_PYTHON)".split(".")); \
	sys.exit(None if sys.version_info >= need else "caio-bot needs Python $(NEEDS_PYTHON) or newer \
	(requires-python in pyproject.toml); $(PYTHON) is " + sys.version.split()[0] + \
	": run make PYTHON=python$(NEEDS_PYTHON)")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/caio-bot db upgrade
	$(BIN)/caio-bot console

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
