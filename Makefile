# ECHOES VRE development loop: every target bootstraps what it needs, idempotently.
SHELL := /bin/bash
# The system Python when there is one: as root, user servers run as other system users,
# who must be able to execute the interpreter (a pyenv under /root is private to root).
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help install install-dev data up test test-fast bench lint clean image docker-engine test-image postgresql libmagic lock translations

help:
	@echo "make up     install what running needs (make install) and start the hub (echoes up)"
	@echo "make test   add the development tools (make install-dev) and run the whole test suite"
	@echo "make test-fast  the in-process tests (tests/unit, with the extension's jest tests): no hub"
	@echo "make bench  run the benchmarks under tests/benchmarks/"
	@echo "make data   build the shared heritage data folder (done by up and test)"
	@echo "make lint   ruff check and format check"
	@echo "make image  build the per-user image echoes/singleuser (starts a Docker engine as root)"
	@echo "make lock   resolve the image's (and Binder's) lock images/singleuser/requirements.txt"
	@echo "make translations  the JupyterLab extension's translations (JSON) from their .po files"
	@echo "make install      install what running needs: .venv, the proxy, the built extension"
	@echo "make install-dev  that and the development tools: pytest, Playwright, ruff, uv, jest"
	@echo "make clean  remove the virtual environment, Node packages and local state"

# Remade when the interpreter it was made with changes.
VENV_MARK := $(VENV)/.made-with$(subst /,_,$(PYTHON))

$(VENV_MARK):
	@echo "==> creating the virtual environment $(VENV) with $(PYTHON)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

# The JupyterLab extension (extensions/labextension/) is built and installed by pip: the
# jupyter-builder hook in pyproject.toml runs npm, and the editable wheel copies the prebuilt
# labextension and the server extension's config into the venv (shared-data). pip runs again
# when the project's dependencies, the extension's sources or the view rules it bundles change.
LABEXT := extensions/labextension
LABEXT_SOURCES := $(wildcard $(LABEXT)/src/*.ts $(LABEXT)/style/* $(LABEXT)/schema/*.json) $(addprefix $(LABEXT)/,\
	package.json package-lock.json tsconfig.json install.json build-widget.mjs) \
	extensions/echoes/widgets/view.json extensions/echoes/widgets/widgets.css \
	$(wildcard extensions/echoes/server/jupyter-config/*.json)
LABEXT_NODE_DEV := $(LABEXT)/node_modules/.installed-dev

# Two installs, each with its own stamp, so that switching between them reinstalls nothing:
# `install` is what running needs (make up), `install-dev` adds the development tools
# (make test, test-fast, lint, bench, lock).
#
# Two distributions: the user side (the root: echoes, echoes_data, the JupyterLab extension),
# which the per-user image installs too, and the hub side (hub/), which it does not.
# The extension's Node packages (its node_modules, about 450 MB) are needed to build it, not
# to run it: they go after the build, unless install-dev installed them for its jest tests
# (then their stamp is renewed: the hook's `npm install` rewrote package-lock.json).
$(VENV)/.installed: pyproject.toml hub/pyproject.toml hatch_build.py $(LABEXT_SOURCES) $(VENV_MARK)
	@echo "==> installing echoes-vre, echoes-vre-hub (and building the JupyterLab extension) into $(VENV)"
	$(BIN)/python -m pip install --progress-bar off -e . -e ./hub
	@if [ -e $(LABEXT_NODE_DEV) ]; then touch $(LABEXT_NODE_DEV); else \
	  echo "==> removing the extension's build-time Node packages ($(LABEXT)/node_modules)"; \
	  rm -rf $(LABEXT)/node_modules; \
	fi
	@touch $@

# The development tools: pyproject.toml's dependency group `dev` (pip >= 25.1 installs
# groups), on their own: a reinstall of the project leaves them be.
$(VENV)/.installed-dev: pyproject.toml $(VENV_MARK)
	@echo "==> installing the development tools (dependency group dev) into $(VENV)"
	$(BIN)/python -m pip install --progress-bar off --group dev
	@touch $@

# The extension's Node packages with its test tools (jest), kept for its unit tests.
$(LABEXT_NODE_DEV): $(LABEXT)/package.json $(LABEXT)/package-lock.json
	@echo "==> installing the JupyterLab extension's Node packages, with its test tools"
	cd $(LABEXT) && npm ci --no-audit --no-fund
	@touch $@

# What the hub runs: configurable-http-proxy (test-only packages would be devDependencies).
node_modules/.installed: package.json package-lock.json
	@echo "==> installing Node packages (configurable-http-proxy)"
	npm ci --omit=dev --no-audit --no-fund
	@touch $@

# Mirador, the IIIF viewer the browser tests open our manifests in: test-only, with its own
# package.json and lock under tests/e2e/mirador/, so `make install` never installs it.
MIRADOR := tests/e2e/mirador
$(MIRADOR)/node_modules/.installed: $(MIRADOR)/package.json $(MIRADOR)/package-lock.json
	@echo "==> installing Mirador for the browser tests ($(MIRADOR))"
	cd $(MIRADOR) && npm ci --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed node_modules/.installed
	@echo "==> installed what running needs"

# The extension's Node packages first: the build then finds them, and they stay.
install-dev: $(LABEXT_NODE_DEV) install $(VENV)/.installed-dev $(MIRADOR)/node_modules/.installed
	@echo "==> installed the development tools"

# The shared heritage data (catalogs/), rebuilt when its recipe or catalogs change, or the
# code of another package the recipe runs (echoes_data.twins.CODE: the coins' segmentation).
DATA_DIR ?= $(if $(ECHOES_DATA_DIR),$(ECHOES_DATA_DIR),.echoes/heritage)
DATA_STAMP := $(DATA_DIR)/BUILD.json
DATA_RECIPE := $(wildcard catalogs/*.py catalogs/shapes/*.ttl catalogs/heritage-catalogs/*.yaml catalogs/heritage-catalogs/*/*.yaml extensions/echoes/annotators/coins.py)

$(DATA_STAMP): $(VENV)/.installed $(DATA_RECIPE)
	@echo "==> building the shared heritage data in $(DATA_DIR)"
	$(BIN)/echoes data build --data-dir $(DATA_DIR)
	@touch $@

data: $(DATA_STAMP)

up: install data
	@echo "==> starting the hub (Ctrl-C stops it; user servers keep running)"
	$(BIN)/echoes up

# Browser tests (tests/e2e) drive Debian's chromium through Playwright's Python API.
/usr/bin/chromium:
	@echo "==> installing Debian's chromium for the browser tests"
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

test: install-dev data test-image postgresql libmagic /usr/bin/chromium
	@echo "==> running the test suite"
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The tests that start no hub, no browser and no container, less those marked slow (the
# notebooks reproduced in real kernels): under two minutes, the loop while editing.
# `make test` runs them too, with everything else.
test-fast: install-dev data
	@echo "==> running the in-process tests"
	$(BIN)/python -m pytest tests/unit -m "not slow" $(PYTEST_ARGS)

bench: install-dev data test-image
	@echo "==> running the benchmarks"
	$(BIN)/python -m pytest tests/benchmarks -s -p no:cacheprovider $(PYTEST_ARGS)

# The per-user image (images/). As root with no engine answering, docker-engine installs
# Debian's docker.io and starts dockerd; the image is rebuilt only when its inputs change.
docker-engine:
	@images/docker-engine.sh

image: docker-engine $(VENV)/.installed
	@images/build.sh

# The per-user image's lock, which Binder installs too: requirements.in plus the project's
# dependencies, resolved by uv for the image's Python (Debian bookworm's 3.11.2, glibc 2.36),
# wheels only, with hashes (the image installs with --require-hashes). Run it after editing
# either; versions already in the lock are kept (uv's preference), --upgrade moves them.
LOCK_ARGS ?=
lock: $(VENV)/.installed-dev
	$(BIN)/uv pip compile --quiet --generate-hashes --only-binary :all: \
	    --python-version 3.11.2 --python-platform x86_64-manylinux_2_36 \
	    --custom-compile-command "make lock" $(LOCK_ARGS) \
	    --output-file images/singleuser/requirements.txt \
	    images/singleuser/requirements.in pyproject.toml

# Before tests and benchmarks: the image whenever an engine answers (CI: it must).
test-image: docker-engine $(VENV)/.installed
	@images/build.sh --if-engine

# PostgreSQL server binaries: the annotation store's tests run on SQLite and on PostgreSQL
# (tests/postgresql.py starts a throwaway cluster). Installed from Debian when root.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing Debian's postgresql"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "==> no PostgreSQL server: its tests are skipped (they fail in CI)"; \
	  fi; \
	fi

# Debian's libmagic, which python-magic loads for the official IIIF validator
# (tests/integration/test_iiif_service.py). Installed from Debian when missing.
libmagic:
	@if ! ldconfig -p | grep -q 'libmagic\.so\.1 '; then \
	  echo "==> installing Debian's libmagic1 for the IIIF validator"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1 >/dev/null; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The JupyterLab extension's translations as JupyterLab reads them (JSON), from the .po files
# translators edit (extensions/echoes/locale/); tests/unit/test_languages.py checks both.
translations: $(VENV)/.installed
	$(BIN)/python -m echoes.translations

clean:
	rm -rf $(VENV) node_modules .echoes $(LABEXT)/node_modules $(LABEXT)/lib $(LABEXT)/build \
	    $(MIRADOR)/node_modules
