# Everyday commands. `make run` and `make test` are all a newcomer needs (see README.md).
#
# The virtualenv lives in .venv; a stamp file per requirements file records that it is
# installed, so a rerun does not call pip unless a requirements file changed.
# Every recipe passes the caller's environment through: DATABASE_URL=... make test runs the
# suite against PostgreSQL, as .ci/run does.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
RUNTIME_STAMP := $(VENV)/.stamp-requirements
DEV_STAMP := $(VENV)/.stamp-requirements-dev
# Where tests/fixtures_browser.py looks for the browser.
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
# The embedded default is for development: DEBUG on, as the settings never assume it (an
# installation that forgets DJANGO_DEBUG runs in production mode). A caller's value wins.
DEV_ENV := DJANGO_DEBUG=$(or $(DJANGO_DEBUG),1)

.DEFAULT_GOAL := help
.PHONY: help run test lint schema messages bench clean demo migrate chromium

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(RUNTIME_STAMP)

migrate: $(RUNTIME_STAMP)  ## Apply database migrations
	$(DEV_ENV) $(PY) manage.py migrate --no-input

demo: migrate  ## Load the demo users, teams and customers (idempotent)
	$(DEV_ENV) $(PY) manage.py demo_data

run: demo  ## Start web, Celery worker and beat on the embedded default; Ctrl-C stops all
	@echo
	@echo "  ITSM is starting on http://127.0.0.1:8000/  (admin site /admin/, API docs /api/docs/)"
	@echo "  Sign in with one of the demo logins above. Ctrl-C stops web, worker and scheduler."
	@echo
	@# --env /dev/null: honcho would otherwise load .env, which holds a production configuration
	@# (docker compose reads it) that the migrate and demo steps above did not see.
	$(DEV_ENV) PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho --procfile Procfile.dev --env /dev/null start

chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian chromium for the browser tests"; \
		apt-get update && apt-get install -y chromium; \
	else \
		echo "error: the browser tests need Debian chromium at $(CHROMIUM)." >&2; \
		echo "       Install it as root: apt-get update && apt-get install -y chromium" >&2; \
		exit 1; \
	fi

test: $(DEV_STAMP) chromium  ## Run the whole test suite (honours DATABASE_URL, CELERY_BROKER_URL, CACHE_URL)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)  ## Check the import contracts (pyproject.toml: apps import only leftwards) and ruff's rules
	$(BIN)/lint-imports
	$(BIN)/ruff check .

schema: $(RUNTIME_STAMP)  ## Regenerate docs/openapi.yaml from the code
	$(DEV_ENV) DJANGO_SETTINGS_MODULE=itsm.settings $(PY) manage.py spectacular --file docs/openapi.yaml --validate

messages: $(RUNTIME_STAMP)  ## Update the translation catalogues (locale/) and compile them
	mkdir -p locale
	$(DEV_ENV) $(PY) manage.py makemessages --locale zh_Hans --ignore '$(VENV)/*' --ignore 'node_modules/*' \
		--ignore 'staticfiles/*' --ignore 'var/*' --ignore 'tests/*' --no-obsolete
	$(DEV_ENV) $(PY) manage.py compilemessages --locale zh_Hans --ignore '$(VENV)/*'

bench: $(DEV_STAMP)  ## Run the benchmarks against PostgreSQL (see bench/README.md)
	$(PY) bench/api_list.py
	$(PY) bench/cmdb_impact.py
	$(PY) bench/cmdb_import.py
	$(PY) bench/incident_queue.py
	$(PY) bench/incident_api.py
	$(PY) bench/global_search.py
	$(PY) bench/queue_rows.py
	$(PY) bench/sla_sweep.py
	$(PY) bench/problem_trends.py
	$(PY) bench/evidence_export.py
	$(PY) bench/change_collisions.py
	$(PY) bench/change_calendar.py
	$(PY) bench/unauthorised_detection.py

clean:  ## Remove the virtualenv, collected static files and local data (var/: database, queue)
	rm -rf $(VENV) staticfiles var .pytest_cache
	find . -name __pycache__ -type d -not -path './node_modules/*' -prune -exec rm -rf {} +
