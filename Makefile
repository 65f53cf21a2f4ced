# The few verbs everyone uses. `make run` and `make test` work on a fresh machine.
.PHONY: run test setup lint format bench clean screenshots

setup:
	@bash scripts/bootstrap.sh

run: setup
	@.venv/bin/python scripts/run.py

test: setup
	@bash scripts/ensure-infra.sh postgres rabbitmq redis chromium dovecot
	@.venv/bin/python scripts/test.py $(SUITES)

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy libs/chassis/src libs/contracts/src services/*/src

format: setup
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench: setup
	@bash scripts/ensure-infra.sh postgres rabbitmq redis wrk
	.venv/bin/python bench/run.py

clean:
	rm -rf var/ .venv/ node_modules/

screenshots: setup
	@bash scripts/ensure-infra.sh postgres rabbitmq redis chromium
	HELPDESK_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots .venv/bin/python -m pytest -q services/gateway/tests/integration/test_agent_ui.py
	HELPDESK_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots .venv/bin/python -m pytest -q services/portal/tests/integration/test_browser.py
