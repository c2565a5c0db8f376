# The two commands that matter: `make run` (a ready-to-click demo) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app webapp
HTMX := static/vendor/htmx.min.js

.PHONY: install run serve test test-fast fuzz lint bench bench-server bench-breakdown bench-alone clean messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# htmx comes from its npm package (version pinned in package.json), never from a CDN.
# axe-core (the browser tests' accessibility checker) stays in node_modules: the tests inject
# it into the page, the app never serves it.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --no-package-lock --silent
	touch $@

$(HTMX): $(NODE_STAMP)
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

# The catalogues (webapp/translations/<locale>/LC_MESSAGES/messages.po) are compiled at install;
# the .mo files are never committed.
PYBABEL := $(VENV)/bin/pybabel
PO := $(wildcard webapp/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
%.mo: %.po $(VENV)/.installed
	$(PYBABEL) compile --statistics -i $< -o $@

install: $(VENV)/.installed $(HTMX) $(MO)

# Extract every marked string (babel.cfg) into messages.pot and merge it into each catalogue;
# then translate the new entries of the en catalogue (docs/glossary.md for the product words).
KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -k N_
messages: $(VENV)/.installed
	$(PYBABEL) -q extract -F babel.cfg $(KEYWORDS) --no-location --sort-output \
		--project "发票云激活中心" -o webapp/translations/messages.pot .
	$(PYBABEL) -q update -i webapp/translations/messages.pot -d webapp/translations \
		--no-fuzzy-matching --ignore-obsolete
	$(MAKE) $(MO)

# `make run PORT=5001` serves on another port; links in the demo's emails follow it.
PORT ?= 5000
DEV := APP_ENV=development FLASK_RUN_PORT=$(PORT)

run: install
	$(DEV) $(FLASK) db upgrade
	$(DEV) $(FLASK) demo seed
	@echo "Serving on http://127.0.0.1:$(PORT)  (development mailbox: http://127.0.0.1:$(PORT)/dev/mailbox)"
	$(DEV) $(FLASK) run --host 127.0.0.1 --port $(PORT)

# The production layout on one machine (README "Scaling out"): gunicorn, PostgreSQL, Redis,
# outbox workers. WEB_WORKERS, OUTBOX_WORKERS, BIND, DATABASE_URL, REDIS_URL, MAIL_* override.
serve: install
	$(PY) deploy/serve.py

# The suite runs in TEST_WORKERS pytest-xdist processes (2: this machine's cores), each on its
# own databases and Redis database (tests/conftest.py, tests/fixtures/database.py); worksteal
# lets an idle worker take queued tests from a busy one. `TEST_WORKERS=0` runs in one process,
# and a plain `pytest tests/x.py` never uses xdist.
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist worksteal

test: install
	$(PY) -m pytest $(XDIST)

# The model-based test of 智能审批 (tests/changes/test_model.py), longer and random: `make test`
# runs it bounded and derandomized. MODEL_EXAMPLES / MODEL_STEPS / MODEL_ENFORCE override.
MODEL_EXAMPLES ?= 300
MODEL_STEPS ?= 60
fuzz: install
	MODEL_RANDOM=1 MODEL_EXAMPLES=$(MODEL_EXAMPLES) MODEL_STEPS=$(MODEL_STEPS) \
		$(PY) -m pytest tests/changes/test_model.py -k every_invariant -s -p no:cacheprovider

# The import layers (pyproject.toml [tool.importlinter]) and ruff's checks.
lint: install
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check webapp tests bench

# Everything but the browser tests, for a quick loop.
test-fast: install
	$(PY) -m pytest $(XDIST) -m "not browser"

bench: install
	$(PY) -m bench

# Through a real server: this app and the reference app (bench/reference_app.py) under gunicorn
# (production config) and wrk on loopback, on SQLite, and on PostgreSQL too when
# BENCH_DATABASE_URL or TEST_DATABASE_URL names a server. Writes
# bench/results/server-<date>-<HHMM>.md. BENCH_REGISTRY_ROWS=20000 for a quick run.
bench-server: install
	@command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk (Debian/Ubuntu)"; exit 1; }
	$(PY) -m bench server

# Where a signed-in request's CPU goes, in-process, this app beside the reference app
# (bench/server_breakdown.py); BENCH_PROFILE_DATABASE=postgres for PostgreSQL.
bench-breakdown: install
	$(PY) -m bench.server_breakdown

# The same requests, each app alone in a process of its own (bench/server_alone.py): close to
# bench-server's CPU ratios in about a minute a database.
bench-alone: install
	$(PY) -m bench.server_alone

clean:
	rm -rf $(VENV) node_modules static/vendor instance/webapp.sqlite3*
