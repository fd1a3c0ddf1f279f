# Customer 360: the two front-door commands are `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR ?= $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help venv run test test-deps lint bench docs report reset clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## create .venv with the pinned dependencies

run: $(STAMP) ## land the sample extracts, load raw, dbt build
	$(BIN)/python -m loader bootstrap
	$(BIN)/dbt build
	@echo
	@$(BIN)/python -m loader where

test-deps: $(STAMP) ## install what the tests need beyond Python (system and npm packages)
	@bash .ci/install-test-deps

test: test-deps ## run the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff for Python, sqlfluff (dbt templater, .sqlfluff) for the models and singular tests
	$(BIN)/ruff check loader tests bench
	$(BIN)/ruff format --check loader tests bench
	C360_DUCKDB_PATH=$$(mktemp -d)/lint.duckdb DBT_TARGET_PATH=$$(mktemp -d) $(BIN)/sqlfluff lint models tests/dbt

bench: $(STAMP) ## benchmark bootstrap + dbt build at 100k, 1M, 10M online transactions (bench/README.md)
	$(BIN)/python -m bench.run

report: $(STAMP) ## write the dashboard, reports/customer360.html, from the gold relations
	$(BIN)/python -m loader report

docs: $(STAMP) ## generate and serve the dbt docs site (lineage) on http://localhost:8080
	$(BIN)/dbt docs generate
	$(BIN)/dbt docs serve

reset: $(STAMP) ## empty the local lake and warehouse
	$(BIN)/python -m loader reset --yes

clean: ## remove the venv, the lake, the warehouse and dbt's output
	rm -rf $(VENV) lake warehouse target logs
