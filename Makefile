# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STORE  ?= var/store
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install install-test build serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

build: install
	$(BIN)/coopgraph build --store $(STORE)

run: build
	$(BIN)/coopgraph serve --store $(STORE) --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) var build dist src/*.egg-info .pytest_cache
