# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# The browser canvas: npm install when the lockfile changed, a Vite build when a source is newer than dist/.
FRONTEND := frontend
NODE_MODULES := $(FRONTEND)/node_modules/.package-lock.json
FRONTEND_BUILD := $(FRONTEND)/dist/index.html
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src -type f 2>/dev/null) \
	$(addprefix $(FRONTEND)/,index.html package.json tsconfig.json vite.config.ts)

.PHONY: run test install frontend clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# `npm install`, not `npm ci`: npm leaves other platforms' optional packages (rollup's native
# builds) out of the lockfile, and `npm ci` then calls the lockfile out of sync. With the lockfile
# present, `npm install` installs exactly its versions.
$(NODE_MODULES): $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm install --no-audit --no-fund

$(FRONTEND_BUILD): $(NODE_MODULES) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run build

## Build the canvas into frontend/dist (Flask serves it at /).
frontend: $(FRONTEND_BUILD)

## Run the product on http://127.0.0.1:5000 with the embedded defaults (SQLite, in-process queue).
run: install frontend
	$(BIN)/automap db upgrade
	$(BIN)/automap templates load
	$(BIN)/automap demo seed
	$(BIN)/automap serve

## Run the whole suite; AUTOMAP_DATABASE_URL / AUTOMAP_REDIS_URL pick real servers.
test: install frontend
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis $(FRONTEND)/node_modules $(FRONTEND)/dist
