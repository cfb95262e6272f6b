# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test install clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

## Run the product on http://127.0.0.1:5000 with the embedded defaults (SQLite, in-process queue).
run: install
	$(BIN)/automap db upgrade
	$(BIN)/automap templates load
	$(BIN)/automap serve

## Run the whole suite; AUTOMAP_DATABASE_URL / AUTOMAP_REDIS_URL pick real servers.
test: install
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
