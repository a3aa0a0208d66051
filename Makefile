# civicnet: `make run` to try it, `make test` to check it. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 and uv, found by running them (scripts/tools.sh): a pyenv shim or a broken
# binary early on PATH is passed over (only `make PYTHON=... UV=...` overrides them, not the
# environment). uv is installed with that Python's pip only when none runs.
ifneq ($(origin PYTHON),command line)
PYTHON := $(shell scripts/tools.sh python)
endif
ifneq ($(origin UV),command line)
UV := $(if $(PYTHON),$(shell scripts/tools.sh uv $(PYTHON)))
endif
RUN = $(UV) run --frozen
PORT ?= 8000

# Tests use PostgreSQL and Redis on loopback unless told otherwise. The broker gets its own
# Redis database so that clearing the cache between tests never drops a queued task.
TEST_ENV := DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/civicnet} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/1} \
	CELERY_BROKER_URL=$${TEST_BROKER_URL:-redis://127.0.0.1:6379/2} \
	CELERY_QUEUE=$${TEST_CELERY_QUEUE:-civicnet-test} EMAIL_URL=locmem:// PAGE_CACHE_SECONDS=300
# The suite runs in two processes (pytest-xdist), each with its own test database, Redis
# databases and Celery queues (tests/settings.py). Tests are handed out one by one in
# pytest-django's order (database tests first, transactional ones after), which each process
# keeps: a transactional test's flush never comes before a test that needs the rows Wagtail's
# and our migrations made. (--dist loadfile breaks that order.) The tests of a module with an
# expensive module-wide set-up go out together (tests/conftest.py). Three processes on two
# cores: much of a test's time is spent waiting (on a browser, a gunicorn, a Celery worker,
# a fresh database's migrations), which a third process fills: 12 min 53 s against 16 min 39 s
# with two on this 2-core machine. Serially: PYTEST_ARGS=-n0
PYTEST_ARGS ?= -n 3 --dist load

.PHONY: help install run test lint format bench worker beat migrations

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## Create .venv from uv.lock (installs uv if it is missing)
	@test -n "$(PYTHON)" || { echo "Python 3.12 is needed and none runs here (python3.12 on PATH or pyenv's versions/3.12*): install it, e.g. pyenv install 3.12"; exit 1; }
	$(if $(PYTHON),$(if $(UV),,$(eval UV := $(shell scripts/tools.sh install-uv $(PYTHON)))))
	@test -n "$(UV)" || { echo "uv could not be installed with $(PYTHON) -m pip: install uv 0.5 or newer and run again"; exit 1; }
	@$(UV) sync --frozen --python $(PYTHON) --quiet

run: install ## Migrate, load demo content and serve http://127.0.0.1:8000 (PORT=8001 for another)
	@scripts/tools.sh port-free $(PORT) || { echo "Port $(PORT) is taken (is the site already running?): choose another with PORT=8001 make run"; exit 1; }
	@$(RUN) python manage.py migrate_explained
	$(RUN) python manage.py load_demo
	$(RUN) python manage.py runserver 127.0.0.1:$(PORT)

test: install lint ## Run the whole suite on PostgreSQL and Redis
	@$(TEST_ENV) $(RUN) python scripts/check_services.py
	$(RUN) python manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(RUN) pytest $(PYTEST_ARGS)

lint: install ## ruff check and format check; the layers and no import cycles (lint-imports)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports --no-cache

format: install ## Fix what ruff can fix
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

bench: install ## Measure pages (wrk) and newsletter delivery as in production; not in make test
	$(RUN) python bench/run.py; pages=$$?; $(RUN) python bench/newsletter.py; exit $$(( pages || $$? ))

worker: install ## A Celery worker (needs REDIS_URL)
	$(RUN) celery -A civicnet worker --loglevel=INFO

beat: install ## The Celery scheduler (needs REDIS_URL)
	$(RUN) celery -A civicnet beat --loglevel=INFO

.PHONY: stack-check
stack-check: install ## Build the image, run the compose stack on loopback, check it, tear down (Docker; not in make test)
	$(RUN) python scripts/stack_check.py
