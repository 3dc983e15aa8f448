# Kith: one target per job. `make` alone lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PY := .venv/bin/python
UV_VERSION := 0.13.9
STAMP := .venv/.kith-installed

.PHONY: help install run check test lint fmt typecheck bench e2e audit demo migrate check-import clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): Makefile pyproject.toml uv.lock tests/feedcheck/package-lock.json tests/e2e/axe/package-lock.json
	@test -x .tools/bin/uv || (python3 -m venv .tools && .tools/bin/pip install -q "uv==$(UV_VERSION)")
	.tools/bin/uv sync --frozen --compile-bytecode
	@if command -v npm >/dev/null 2>&1 && [ -f tests/feedcheck/package-lock.json ]; then \
		(cd tests/feedcheck && npm ci --no-audit --no-fund --silent) || echo "npm ci failed: the ical.js feed check will be skipped"; \
	fi
	@if command -v npm >/dev/null 2>&1 && [ -f tests/e2e/axe/package-lock.json ]; then \
		(cd tests/e2e/axe && npm ci --no-audit --no-fund --silent) || echo "npm ci failed: the axe-core checks of the browser tests will be skipped"; \
	fi
	@touch $(STAMP)

install: $(STAMP) ## create .venv/ with everything (uv, locked versions)
	@# Bytecode written ahead, as an installed package has it: with PYTHONDONTWRITEBYTECODE set
	@# (as on some machines and images) every `kith` process would compile ~350 modules again
	@# (0.3-0.5 s per start). Up-to-date files are skipped; a stale one is recompiled in memory.
	@$(PY) -m compileall -q -j0 api pipeline bench >/dev/null

run: install ## migrate the SQLite database and serve on http://127.0.0.1:8000
	.venv/bin/kith serve

migrate: install ## bring the database schema up to date
	.venv/bin/kith migrate

check: install lint typecheck ## the inner loop: lint, types and the fast tests (pure core, settings; no browser, no PostgreSQL, no slow)
	.venv/bin/pytest -q -m "not slow and not e2e" tests/pipeline tests/api/test_settings.py

test: install lint typecheck ## lint, type-check and run every test (SQLite, and PostgreSQL when available)
	scripts/run-tests.sh

lint: install ## ruff, the import contracts, the cycle check, design citations resolve
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache
	$(PY) scripts/check-cycles.py
	$(PY) scripts/check-citations.py

fmt: install ## format and autofix
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

typecheck: install ## mypy --strict on api and pipeline
	.venv/bin/mypy

bench: install ## run every benchmark (BENCH_QUICK=1: small and short); prints a table and writes bench/results.json
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || \
		echo "wrk is missing (apt-get install wrk): the HTTP figures will fail"
	$(PY) -m bench.run

e2e: install ## browser tests in headless Chromium; screenshots in test-results/screenshots
	scripts/run-tests.sh -m e2e tests/e2e

audit: install ## Lighthouse (mobile) on sign-in, Today, a Contact and Calendar of a demo account; test-results/audit/
	cd tests/audit && npm ci --no-audit --no-fund --silent
	$(PY) scripts/audit.py

demo: install ## create a demo account with a generated network and a year of interactions
	.venv/bin/kith demo

check-import: install ## check `kith import --dry-run --json` against the shared corpus facts
	../shared/tools/check-import

clean: ## remove the virtualenv, caches and test output (keeps data/)
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis test-results bench/results.json tests/feedcheck/node_modules tests/e2e/axe/node_modules tests/audit/node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
