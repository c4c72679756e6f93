# Two entry points: `make demo` (run the store on the embedded default) and
# `make test` (every test suite). Both create or update .venv first.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.shopwright-installed
PLUGIN_DIRS := $(wildcard plugins/*/pyproject.toml)
THEME_DIRS := $(wildcard themes/*/pyproject.toml)
EDITABLES := -e '.[test]' $(foreach f,$(PLUGIN_DIRS) $(THEME_DIRS),-e $(dir $(f)))

.PHONY: demo test install

install: $(STAMP)

$(STAMP): pyproject.toml $(PLUGIN_DIRS) $(THEME_DIRS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(EDITABLES)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/shopwright migrate
	$(BIN)/shopwright seed-demo
	$(BIN)/shopwright serve --host 127.0.0.1 --port $(PORT)

# Two processes (pytest-xdist); the tests that pip-install into .venv run alone afterwards.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not venv_writer"
	$(BIN)/python -m pytest -m venv_writer
