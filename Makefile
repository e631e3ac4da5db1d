# trustbook: the two commands of the README, and a few helpers.
#   make figures   regenerate the quick profile's figures and tables into figures/quick/ (PROFILE=reference: figures/reference/)
#   make test      export/clean checks, every notebook as a test, and the pytest suite (with the determinism test)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
PROFILE ?= quick

.PHONY: install test figures determinism docs clean-nbs export lab

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

# Writes only under figures/$(PROFILE)/; an interrupted run resumes where it stopped (finished notebooks are skipped).
figures: install
	$(BIN)/trustbook regen --profile $(PROFILE) --jobs $(JOBS)

# Two cold runs and a warm one of one notebook per paper, CSVs compared byte for byte (also part of `make test`).
determinism: install
	$(BIN)/python -m pytest tests/test_determinism.py

docs: install
	$(BIN)/trustbook docs

export: install
	$(BIN)/nbdev-export && $(BIN)/nbdev-clean

lab: install
	$(BIN)/python -m pip install -q jupyterlab && $(BIN)/jupyter lab nbs
