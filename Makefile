# Customer 360: the two front-door commands are `make run` and `make test`.
SHELL := /bin/bash
# The Python .venv is made with: by default the newest supported one found (3.13, then
# 3.12, then 3.11; scripts/find-python). Override: make run PY=python3.12 (or PY=3.12, or
# a path). An existing .venv is kept, unless PY names another version: then it is remade.
PY ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DBT_PROFILES_DIR ?= $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help venv run test test-deps lint bench docs report reset clean FORCE

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

PY_GIVEN := $(strip $(PY))
PYVER := import sys; print("%d.%d" % sys.version_info[:2])

# PY given, and .venv made with another Python version: remake .venv.
ifneq ($(PY_GIVEN),)
ifneq ($(wildcard $(BIN)/python),)
ifneq ($(shell $(BIN)/python -c '$(PYVER)' 2>/dev/null),$(shell py=$$(scripts/find-python '$(PY_GIVEN)' 2>/dev/null) && "$$py" -c '$(PYVER)'))
$(STAMP): FORCE
endif
endif
endif

$(STAMP): pyproject.toml requirements.lock
	@set -e; have=$$($(BIN)/python -c '$(PYVER)' 2>/dev/null || true); \
	if [ -n '$(PY_GIVEN)' ] || [ -z "$$have" ]; then \
	  py=$$(scripts/find-python $(if $(PY_GIVEN),'$(PY_GIVEN)')); want=$$("$$py" -c '$(PYVER)'); \
	  if [ "$$have" != "$$want" ]; then \
	    if [ -n "$$have" ]; then echo "removing $(VENV) (Python $$have): PY=$(PY_GIVEN) is Python $$want"; rm -rf $(VENV); fi; \
	    echo "creating $(VENV) with Python $$want ($$py)"; "$$py" -m venv $(VENV); \
	  fi; \
	fi
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## create .venv with the pinned dependencies (the newest Python 3.11-3.13, or PY=...)

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

FORCE:

clean: ## remove the venv, the lake, the warehouse and dbt's output
	rm -rf $(VENV) lake warehouse target logs
