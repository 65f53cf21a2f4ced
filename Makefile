# The few verbs everyone uses. `make run` and `make test` work on a fresh machine; `make help` lists them.
.PHONY: help run test test-unit setup lint format bench clean screenshots

setup:
	@bash scripts/bootstrap.sh

help:
	@echo "make run           install what is missing, migrate, seed a demo workspace, start everything"
	@echo "make test          every suite against real PostgreSQL, RabbitMQ, Redis, SMTP, Chromium"
	@echo "make test-unit     every unit test, no infrastructure, under a minute"
	@echo "make lint          ruff, ruff format --check, mypy and the import contracts (lint-imports)"
	@echo "make format        ruff format and ruff check --fix"
	@echo "make bench         benchmarks (bench/README.md has the figures)"
	@echo "make screenshots   refresh docs/screenshots from the browser tests"
	@echo "make setup         create .venv and install the pinned packages (the targets above do it first)"
	@echo "make clean         remove var/, .venv/ and node_modules/"
	@echo "SUITES=tests/e2e make test   one suite"

run: setup
	@.venv/bin/python scripts/run.py

test: setup
	@bash scripts/ensure-infra.sh postgres rabbitmq redis chromium dovecot
	@.venv/bin/python scripts/test.py $(SUITES)

# no infrastructure: starts nothing, so it runs anywhere the virtualenv does
test-unit: setup
	@.venv/bin/python scripts/test.py --unit

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy libs/chassis/src libs/contracts/src services/*/src
	.venv/bin/lint-imports --no-cache

format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: setup
	@bash scripts/ensure-infra.sh postgres rabbitmq redis wrk
	.venv/bin/python bench/run.py

clean:
	rm -rf var/ .venv/ node_modules/

screenshots: setup
	@bash scripts/ensure-infra.sh postgres rabbitmq redis chromium dovecot
	HELPDESK_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots .venv/bin/python -m pytest -q services/gateway/tests/integration/test_agent_ui.py services/gateway/tests/integration/test_admin_console.py services/gateway/tests/integration/test_ui_profile.py services/gateway/tests/integration/test_admin_mailbox_oauth.py services/gateway/tests/integration/test_ui_dashboard.py services/gateway/tests/integration/test_mailbox_sending.py services/gateway/tests/integration/test_ui_new_email.py
	HELPDESK_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots .venv/bin/python -m pytest -q services/portal/tests/integration/test_browser.py services/portal/tests/integration/test_browser_accounts.py
	HELPDESK_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots .venv/bin/python -m pytest -q tests/e2e/test_department_forms.py
