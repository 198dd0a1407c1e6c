# One command surface: the README and CI call these targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEMO_DIR ?= demo-data

.PHONY: install demo serve test lint fmt bench services clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv
	@$(BIN)/uv pip sync -q --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)  ## Create .venv with the locked dependencies and suara itself

demo: install  ## Build the demo workspace in demo-data/ and serve it
	$(BIN)/suara --data-dir $(DEMO_DIR) demo

serve: install  ## Serve the data folder in data/
	$(BIN)/suara serve

services:  ## Install and start PostgreSQL, Java and chromium for the tests (needs root or sudo)
	bash scripts/provision.sh

# PostgreSQL comes from scripts/provision.sh when this machine allows it; tests that need a missing service skip
# on a developer machine and fail under CI=true.
test: install  ## Install everything and run every test
	SUARA_TEST_POSTGRES_URL="$${SUARA_TEST_POSTGRES_URL:-$$(bash scripts/provision.sh | tail -n 1)}" \
	  $(BIN)/pytest

lint: install  ## ruff and mypy
	$(BIN)/ruff check suara tests benchmarks
	$(BIN)/ruff format --check suara tests benchmarks
	$(BIN)/mypy suara

fmt: install  ## Format and fix what ruff can
	$(BIN)/ruff format suara tests benchmarks
	$(BIN)/ruff check --fix suara tests benchmarks

bench: install  ## Run every benchmark; each rewrites its section of BENCHMARKS.md
	@for script in benchmarks/[a-z]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
