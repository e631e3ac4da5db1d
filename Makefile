# trustbook: the two commands of the README, and a few helpers.
#   make figures   regenerate the quick profile's figures and tables (embedded default data)
#   make test      export/clean checks, every notebook as a test, and the pytest suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: install test figures docs clean-nbs export lab

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall whenever the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (trustbook)" >/dev/null
	touch $@

install: $(STAMP)

test: install
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup tests

figures: install
	$(BIN)/trustbook regen --profile quick

docs: install
	$(BIN)/trustbook docs

export: install
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

lab: install
	$(BIN)/python -m pip install -q jupyterlab && $(BIN)/jupyter lab nbs
