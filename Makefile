# Two commands for a fresh clone: `make run` (portal + worker + beat on demo data) and `make test`
# (the fast set). `make test-all` runs every suite (browser, gates, fuzz, faults, isolation, load).
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
UV_VERSION := 0.13.8
UV := .tools/bin/uv
PY := .venv/bin/python
PORT ?= 8000
export PORT

.PHONY: run test test-all install lint typecheck format messages check-deploy resilience lighthouse css

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

# The quality gates' tools from the npm registry (package-lock.json): the Nu HTML checker (a jar,
# run by the suite with the machine's Java 17) and Lighthouse (bench/lighthouse, on Debian's
# chromium). --ignore-scripts: vnu-jar's postinstall would fetch a Java runtime; nothing here
# downloads a browser or a runtime.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

install: .venv/.synced node_modules/.installed

# Python only: the npm packages serve the quality gates and the bench, not the portal.
run: .venv/.synced
	DJANGO_SETTINGS_MODULE=portal.settings.local $(PY) manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=portal.settings.local $(PY) manage.py seed_demo
	DJANGO_SETTINGS_MODULE=portal.settings.local exec $(PY) manage.py runportal --port $(PORT)

# docker-compose.yml's processes (gunicorn, production settings, worker, beat) on this machine's
# PostgreSQL and Redis; local HTTP on http://127.0.0.1:$(PORT). SEED_DEMO=1 loads the demo users.
.PHONY: prod
prod: install
	PORT=$(PORT) deploy/prod.sh

# pytest-xdist on every core; suites that share the demo database, ports or private servers run
# on one worker (tests/suites.py). The fast set reuses its test database (keyed by the
# migrations' digest; --create-db rebuilds it); test-all builds afresh and fails on any skip and
# on a suite over 1.5x its time budget.
XDIST := -n auto --dist loadgroup
test: .venv/.synced
	$(PY) -m pytest $(XDIST) -m "not slow" --reuse-db $(PYTEST_ARGS)

# The load suite measures what the machine can serve, so it runs alone after the rest: beside
# other suites its p99 at half the capacity measured their load (539 ms in a CI run at load
# average 5, against 300 asserted). Both runs always run; the status is the first failure's
# (pytest's 5, "no tests collected", counts only when neither collected any).
test-all: install
	@first=0; second=0; \
	PORTAL_TEST_ALL=1 $(PY) -m pytest $(XDIST) --create-db -m "not load" $(PYTEST_ARGS) || first=$$?; \
	PORTAL_TEST_ALL=1 $(PY) -m pytest --create-db -m load $(PYTEST_ARGS) || second=$$?; \
	if [ $$first -eq 5 ] && [ $$second -eq 5 ]; then exit 5; fi; \
	for s in $$first $$second; do if [ $$s -ne 0 ] && [ $$s -ne 5 ]; then exit $$s; fi; done

# Lighthouse (mobile) on the dashboard, the wizard, the review queue and Indirect resellers under
# production settings; writes bench/lighthouse.json (not part of `make test`: about two minutes).
lighthouse: install
	bench/lighthouse

# The fault suite alone (also part of `make test-all`): a real worker, beat, a private redis-server,
# PostgreSQL (a private cluster for the restart) and an SMTP sink; prints its figures.
resilience: install
	$(PY) -m pytest -m faults $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Bootstrap reduced to the rules the templates, forms and scripts use (devtools/purgecss.py), after
# adding a Bootstrap class anywhere: the fast set fails while the committed file is stale.
css: .venv/.synced
	$(PY) manage.py purgecss

messages: install
	$(PY) manage.py makemessages -l it --keyword=_l --ignore=.venv --ignore=.tools --ignore=var
