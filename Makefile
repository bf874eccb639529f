# Archer's commands. The same ones run locally and in CI (.ci/run calls `make test`).
#   make run    install, build the UI, migrate and seed the local database, serve http://127.0.0.1:7071
#   make test   install, lint, and run the whole test suite
#   make setup  install everything into .venv and static_web/node_modules (idempotent; starts nothing)
#   make lint   ruff (check + format --check) and mypy (strict) on shared/
#   make types  regenerate the UI's TypeScript types (static_web/src/types/api.ts) from shared/models

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7071
PYTEST_ARGS ?=

# Keep LiteLLM (pulled in by the Line SDK) from fetching its model cost map at import.
export LITELLM_LOCAL_MODEL_COST_MAP := True

UI_SOURCES := $(shell find static_web/src static_web/index.html static_web/vite.config.ts static_web/tsconfig.json -type f 2>/dev/null)

.PHONY: help setup lint format test run serve clean types ui-check

help:
	@sed -n '2,7p' Makefile | sed 's/^# //'

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

static_web/node_modules/.installed: static_web/package.json static_web/package-lock.json
	cd static_web && npm ci --no-audit --no-fund
	@touch $@

static_web/dist/index.html: static_web/node_modules/.installed $(UI_SOURCES)
	cd static_web && npm run build

setup: $(BIN)/.installed static_web/node_modules/.installed static_web/dist/index.html

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup lint ui-check
	$(BIN)/pytest $(PYTEST_ARGS)

run: setup
	$(BIN)/archer db upgrade
	$(BIN)/archer seed
	$(BIN)/archer serve --host $(HOST) --port $(PORT)

serve: setup
	$(BIN)/archer serve --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) static_web/node_modules static_web/dist .archer .mypy_cache .ruff_cache .pytest_cache

# The admin UI's types, generated from the pydantic models (a test fails when the committed file is stale).
types: $(BIN)/.installed static_web/node_modules/.installed
	$(BIN)/python scripts/generate_types.py

# The admin UI's own checks: ESLint, the TypeScript compiler (strict), and the vitest unit tests.
ui-check: static_web/node_modules/.installed
	cd static_web && npm run lint && npm run typecheck && npm test
