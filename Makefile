# ECHOES VRE development loop: every target bootstraps what it needs, idempotently.
SHELL := /bin/bash
# The system Python when there is one: as root, user servers run as other system users,
# who must be able to execute the interpreter (a pyenv under /root is private to root).
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help install up test bench lint clean

help:
	@echo "make up     install what is needed and start the hub (echoes up)"
	@echo "make test   install what is needed and run the whole test suite"
	@echo "make bench  run the benchmarks under tests/benchmarks/"
	@echo "make lint   ruff check and format check"
	@echo "make clean  remove the virtual environment, Node packages and local state"

# Remade when the interpreter it was made with changes.
VENV_MARK := $(VENV)/.made-with$(subst /,_,$(PYTHON))

$(VENV_MARK):
	@echo "==> creating the virtual environment $(VENV) with $(PYTHON)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

# Reinstalled only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml $(VENV_MARK)
	@echo "==> installing echoes-vre and its dependencies into $(VENV)"
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> installing Node packages (configurable-http-proxy)"
	npm ci --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed node_modules/.installed
	@echo "==> installed"

up: install
	@echo "==> starting the hub (Ctrl-C stops it; user servers keep running)"
	$(BIN)/echoes up

# Browser tests (tests/e2e) drive Debian's chromium through Playwright's Python API.
/usr/bin/chromium:
	@echo "==> installing Debian's chromium for the browser tests"
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

test: install /usr/bin/chromium
	@echo "==> running the test suite"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	@echo "==> running the benchmarks"
	$(BIN)/python -m pytest tests/benchmarks -s -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) node_modules .echoes
