# The README's commands. `make run` serves the product with demo data; `make test` passes the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export AFTERCARE_ENV ?= development

.PHONY: run test setup test-setup services lint bench clean clauses

run: setup
	$(FLASK) db upgrade heads
	$(FLASK) saas demo --if-empty
	./scripts/serve.sh

test: test-setup services
	$(MAKE) --no-print-directory checks
	./scripts/test.sh

setup: system-packages $(VENV)/.installed saas/static/vendor/htmx.min.js saas/static/vendor/chart.umd.min.js catalogs

# WeasyPrint (agreements and invoices as PDF) needs Pango, and the documents need CJK fonts to embed.
.PHONY: system-packages
system-packages:
	@ldconfig -p | grep -q libpangoft2-1.0 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	  fonts-noto-cjk fontconfig; }

test-setup: setup /usr/bin/chromium

$(VENV)/.installed: pyproject.toml
	@command -v $(PY) >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 python3-venv; }
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

node_modules/htmx.org/dist/htmx.min.js: package.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm install --no-audit --no-fund --loglevel=error
	touch $@

saas/static/vendor/htmx.min.js: node_modules/htmx.org/dist/htmx.min.js
	mkdir -p saas/static/vendor
	cp $< $@

# Chart.js draws the evaluations' and the reports' charts on screen (the PDF gets the same charts as SVG).
node_modules/chart.js/dist/chart.umd.min.js: node_modules/htmx.org/dist/htmx.min.js
	touch $@

saas/static/vendor/chart.umd.min.js: node_modules/chart.js/dist/chart.umd.min.js
	mkdir -p saas/static/vendor
	cp $< $@

.PHONY: catalogs
catalogs: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d saas/translations

/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk

services:
	./scripts/services.sh

lint: setup
	$(MAKE) --no-print-directory checks

# Style and architecture: ruff's lint and format, and the allowed imports between the rooms (pyproject.toml, docs/architecture.md).
.PHONY: checks
checks:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# docs/clauses.md: each clause of the agreement, where its rule lives and which tests prove it.
clauses: $(VENV)/.installed
	$(BIN)/python scripts/clauses.py

messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o saas/translations/messages.pot .
	$(BIN)/pybabel -q update -i saas/translations/messages.pot -d saas/translations -l zh_Hans_CN --no-fuzzy-matching

bench: setup services
	$(BIN)/python -m bench.run && $(BIN)/python -m bench.requests && $(BIN)/python -m bench.billing && $(BIN)/python -m bench.evaluations

clean:
	rm -rf $(VENV) node_modules saas/static/vendor instance test-artifacts
