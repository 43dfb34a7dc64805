# The two commands a new user needs: `make run` and `make test` (see README.md).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_VERSION = $(shell ls /etc/postgresql 2>/dev/null | sort -n | tail -n 1)

.PHONY: run test bench chaos lint services chromium faketime clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed-run

## run: the embedded default (SQLite + a file broker under var/, web + worker + beat, demo data)
# The demo shows an order go from new to confirmed in well under a minute: it ticks and
# polls more often than production does (set either variable to override).
run: $(VENV)/.installed-run var/local.env
	HUB_OUTBOUND_ALLOW=$${HUB_OUTBOUND_ALLOW:-127.0.0.0/8,::1/128} \
	DISPATCH_INTERVAL_SECONDS=$${DISPATCH_INTERVAL_SECONDS:-5} \
	AUTOMATIC_POLL_SECONDS=$${AUTOMATIC_POLL_SECONDS:-10} \
	$(BIN)/python manage.py embedded

# The embedded mode's own keys, made once on this machine and never committed.
var/local.env: | $(VENV)/.installed-run
	mkdir -p var
	$(BIN)/python -c "import secrets; from cryptography.fernet import Fernet; \
	print('SECRET_KEY=' + secrets.token_urlsafe(50)); \
	print('FIELD_ENCRYPTION_KEY=' + Fernet.generate_key().decode())" > $@

## test: the whole suite against PostgreSQL and Redis, with Playwright driving chromium
# Two pytest workers (worksteal), each with its own test database, Redis database and var
# folder (tests/settings.py); PYTEST_WORKERS=0 runs the suite in one process, in order.
PYTEST_WORKERS ?= 2
test: $(VENV)/.installed-dev services chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

## bench: throughput, latency and memory figures (printed and written to var/bench/, not
# asserted). ONLY=latency,queries runs some; SCALE=0.1 runs everything smaller.
bench: $(VENV)/.installed-dev services
	BENCH_ONLY=$(ONLY) BENCH_SCALE=$(SCALE) $(BIN)/python -m tests.bench $(BENCH_ARGS)

## chaos: the loop under faults (workers, beats, Redis and PostgreSQL killed and restarted, a
# worker's clock jumped, HTTP bursts, webhook storms) on a PostgreSQL and Redis of its own;
# fails on a duplicate, a loss, anything stuck or a slow recovery. SCALE=0.1 is the short
# run; CHAOS_ARGS=--ci the shortest (CI), CHAOS_ARGS="--seed N" repeats a run.
chaos: $(VENV)/.installed-dev faketime
	$(BIN)/python -m tests.chaos --scale $(or $(SCALE),1) $(CHAOS_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Start PostgreSQL and Redis when they are not answering (CI machines and fresh laptops).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  echo "starting PostgreSQL $(PG_VERSION)"; \
	  pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }
	@pg_isready -h 127.0.0.1 -p 5432
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  echo "starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	  for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done; }
	@redis-cli -h 127.0.0.1 -p 6379 ping

# Playwright cannot download its own browser here; Debian's chromium is driven instead.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); }
	@command -v chromium >/dev/null

# The chaos suite jumps a worker's clock with libfaketime.
faketime:
	@command -v faketime >/dev/null 2>&1 || { \
	  echo "installing Debian's faketime"; \
	  (apt-get install -y -q faketime >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q faketime >/dev/null)); }
	@command -v faketime >/dev/null

clean:
	rm -rf $(VENV) var *.egg-info
