# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

# The browser canvas: npm ci when the lockfile changed, a Vite build when a source is newer than dist/.
FRONTEND := frontend
NODE_MODULES := $(FRONTEND)/node_modules/.package-lock.json
FRONTEND_BUILD := $(FRONTEND)/dist/index.html
FRONTEND_SOURCES := $(shell find $(FRONTEND)/src -type f 2>/dev/null) \
	$(addprefix $(FRONTEND)/,index.html package.json tsconfig.json vite.config.ts)

.PHONY: run test install frontend api-types node-catalogue screenshots clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# `npm ci` installs exactly the lockfile and never rewrites it, so building leaves the checkout as it was.
# The lockfile lists every platform's optional packages (rollup's and esbuild's native builds), so the
# same file installs on Linux x64 and arm64 alike.
$(NODE_MODULES): $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund

$(FRONTEND_BUILD): $(NODE_MODULES) $(FRONTEND_SOURCES)
	cd $(FRONTEND) && npm run build

## Build the canvas into frontend/dist (Flask serves it at /).
frontend: $(FRONTEND_BUILD)

## Regenerate the canvas's API types (frontend/src/api-schema.d.ts) from the app's OpenAPI document.
api-types: install $(NODE_MODULES)
	$(BIN)/automap openapi print | (cd $(FRONTEND) && npm run --silent api-types)

## Regenerate the node catalogue the canvas's Vitest tests read, from the node registry.
node-catalogue: install
	$(BIN)/automap node-types > $(FRONTEND)/src/test/node-catalogue.json

## Refresh the README's screenshots (docs/screenshots/): the browser tests save them there, not in a temporary folder.
screenshots: install frontend
	AUTOMAP_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest tests/e2e

## Run the product on http://127.0.0.1:5000 with the embedded defaults (SQLite, in-process queue).
run: install frontend
	$(BIN)/automap db upgrade
	$(BIN)/automap scenarios load
	$(BIN)/automap demo seed
	$(BIN)/automap serve

## Run the whole suite; AUTOMAP_DATABASE_URL / AUTOMAP_REDIS_URL pick real servers.
test: install frontend
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis $(FRONTEND)/node_modules $(FRONTEND)/dist
