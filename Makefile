# Tightrope: `make run` (dashboard on a seeded demo fleet) and `make test` (every test tier).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run seed migrate recompute test test-time test-all check fmt bench clean help

help:
	@echo "make run    - install, migrate, seed the demo fleet if empty, start the dashboard on :$(PORT), the API on :8502 and the sidecar"
	@echo "make test   - install dev requirements and run every test tier"
	@echo "make test-time - the dashboard (but browser) and jobs tiers again with the clock at $(FAKETIME_AT) (faketime)"
	@echo "make test-all  - make test, then make test-time (what CI runs)"
	@echo "make check  - ruff format --check, ruff, mypy, lint-imports"
	@echo "make seed   - seed the demo fleet into an empty database, then recompute recommendations"
	@echo "make recompute - recompute recommendations for the whole fleet"
	@echo "make bench  - run the benchmarks in bench/"

$(VENV)/bin/python:
	@$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: on Debian run 'apt-get install python3-venv'"; exit 1; }

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

migrate: $(VENV)/.runtime
	$(PY) -m data migrate

seed: $(VENV)/.runtime
	TIGHTROPE_DEMO=true $(PY) -m data bootstrap
	$(PY) -m jobs recompute

recompute: $(VENV)/.runtime
	$(PY) -m jobs recompute

# The sidecar (python -m jobs run) and the REST API (python -m api, on TIGHTROPE_API_PORT, 8502 by
# default) run beside the dashboard; the trap stops all three together.
run: $(VENV)/.runtime
	TIGHTROPE_DEMO=true $(PY) -m data bootstrap
	$(PY) -m jobs recompute || echo "recompute skipped: the sidecar recomputes once usage is collected"
	$(PY) -m jobs run --exit-with-parent & sidecar=$$!; \
	$(PY) -m api & api=$$!; \
	trap 'kill $$sidecar $$api 2>/dev/null' EXIT INT TERM; \
	$(PY) -m dashboard --server.port $(PORT)

# Tests run on TEST_WORKERS pytest-xdist workers (TEST_WORKERS=0: in this process), one test
# file per worker at a time so a module's servers start once; each worker has its own
# PostgreSQL databases and server ports (decision 027). Files are handed out longest first
# (tests/support/schedule.py), so both workers finish together.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -p tests.support.schedule)

# make test records which test files saw the wall clock (tests/support/clock_reads.py); make
# test-time re-runs only those, and all of them when the record is missing or was made on
# other sources.
CLOCK_READS ?= artifacts/clock-reads.json
test: $(VENV)/.dev
	$(PY) -m pytest $(XDIST) --record-clock-reads=$(CLOCK_READS) $(PYTEST_ARGS)

# The suite must not depend on the calendar: the tiers that read "now" run again with the
# system clock far from every fixture date (a year end, half an hour before midnight). Browser
# tests are left out of this pass: their servers already run on a fixed clock, and they cost
# a third of CI's time (make test runs them). So are the files that make test found never
# reading the wall clock nor starting a process (CLOCK_READS above, decision 027).
FAKETIME_AT ?= 2027-12-31 23:30:00
test-time: $(VENV)/.dev
	@if ! command -v faketime >/dev/null; then \
	  if [ "$$CI" = "true" ]; then echo "CI=true but faketime is not installed (apt-get install faketime)"; exit 1; fi; \
	  echo "test-time skipped: faketime is not installed (apt-get install faketime)"; exit 0; \
	fi
	faketime '$(FAKETIME_AT)' $(PY) -m pytest $(XDIST) tests/dashboard tests/jobs tests/test_one_clock.py -m "not browser" \
	  --skip-calendar-free=$(CLOCK_READS) $(PYTEST_ARGS)

test-all: test test-time

check: $(VENV)/.dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

fmt: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.dev
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf var artifacts .mypy_cache .ruff_cache
