# libledger — build entry points.
#
#   make run     set everything up, then start chain + deploy + demo + API (libledger quickstart)
#   make test    set everything up (PostgreSQL too), then forge tests and pytest
#   make bench   set everything up, then every bench/*.py, JSON lines into bench/latest.jsonl
#
# Helpers: make setup | contracts | gas-snapshot | clean | distclean | pg-url | pg-stop | help
#
# Every target is idempotent: the Python venv is reinstalled only when pyproject.toml is newer
# than $(VENV)/.installed, and `npm ci` runs only when package-lock.json / package.json is newer
# than node_modules/.installed.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV        ?= .venv
PY_STAMP    := $(VENV)/.installed
NPM_STAMP   := node_modules/.installed
FORGE       := node_modules/.bin/forge
PYTEST_ARGS ?=
FORGE_ARGS  ?=

# Minimum versions; say so in one line when they are not met.
PY_MIN_MAJOR := 3
PY_MIN_MINOR := 11
NODE_MIN     := 18

# Browser for the console's Playwright tests: Debian's chromium (no browser download), plus a CJK font.
CHROMIUM    ?= /usr/bin/chromium

.PHONY: help run test bench setup browser contracts gas-snapshot clean distclean pg-url pg-stop check-python check-node

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------------------------------------
# Main targets

run: setup
	$(VENV)/bin/libledger quickstart

test: setup browser
	@pg_url="$$(scripts/ensure-postgres.sh)" || {
	  echo "make test: no PostgreSQL server available (see the message above)." >&2; exit 1; }
	echo "==> PostgreSQL for tests: $$pg_url" >&2
	rc=0
	echo "==> forge test" >&2
	$(FORGE) test $(FORGE_ARGS) || rc=1
	echo "==> pytest" >&2
	LIBLEDGER_TEST_PG_URL="$$pg_url" $(VENV)/bin/python -m pytest $(PYTEST_ARGS) || rc=1
	if [ $$rc -ne 0 ]; then echo "make test: FAILED (see above)" >&2; fi
	exit $$rc

# Runs bench/*.py in name order (files starting with "_" are helpers, not benchmarks).
# Each prints JSON lines on stdout; all of them are collected into bench/latest.jsonl.
bench: setup
	@shopt -s nullglob
	benches=()
	for f in bench/*.py; do case "$$(basename "$$f")" in _*) ;; *) benches+=("$$f");; esac; done
	if [ $${#benches[@]} -eq 0 ]; then echo "make bench: no benchmarks in bench/" >&2; exit 0; fi
	: > bench/latest.jsonl
	rc=0
	for f in "$${benches[@]}"; do
	  echo "==> $$f" >&2
	  $(VENV)/bin/python "$$f" | tee -a bench/latest.jsonl || rc=1
	done
	echo "==> results in bench/latest.jsonl" >&2
	exit $$rc

# ---------------------------------------------------------------------------------------------
# Helpers

setup: $(PY_STAMP) $(NPM_STAMP)

# Idempotent: installs chromium (and a CJK font) with apt-get only when missing and root.
browser:
	@if [ -x "$(CHROMIUM)" ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	  echo "==> installing Debian chromium + CJK font for the console's browser tests" >&2
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
	elif [ ! -x "$(CHROMIUM)" ]; then
	  echo "make browser: $(CHROMIUM) missing and not root: install Debian's chromium (apt-get install chromium)" >&2; exit 1
	fi

contracts: setup
	$(VENV)/bin/libledger compile

# Regenerates the committed forge gas snapshot from the *Gas* test contracts (gas per test,
# non-isolated; bench/gas.py gives whole-transaction figures from real receipts).
gas-snapshot: setup
	$(FORGE) snapshot --match-contract Gas --snap contracts/gas-snapshot

# Prints the PostgreSQL admin URL `make test` would use (starting/installing a server if needed).
pg-url:
	@scripts/ensure-postgres.sh

# Stops the throw-away cluster in .pgdata/ (never touches a system cluster).
pg-stop:
	@scripts/ensure-postgres.sh --stop

# Build and test products; keeps .venv and node_modules (see distclean).
clean:
	@if [ -d .pgdata ]; then scripts/ensure-postgres.sh --stop || true; rm -rf .pgdata; fi
	rm -rf contracts/forge-out contracts/forge-cache build .pytest_cache .hypothesis test-artifacts .bench-data bench/latest.jsonl
	find . -path ./node_modules -prune -o -path ./$(VENV) -prune -o -name __pycache__ -type d -print0 | xargs -0r rm -rf
	rm -rf *.egg-info

# Also the installed toolchains (a symlinked node_modules is unlinked, its target left alone).
distclean: clean
	rm -rf $(VENV) node_modules

# ---------------------------------------------------------------------------------------------
# Python: a venv in $(VENV) from a python3 >= 3.11, the package installed editable with [dev].

$(PY_STAMP): pyproject.toml
	@if [ -x "$(VENV)/bin/python" ] && ! "$(VENV)/bin/python" -c 'import sys; sys.exit(sys.version_info < ($(PY_MIN_MAJOR), $(PY_MIN_MINOR)))' 2>/dev/null; then
	  echo "==> $(VENV) is broken or older than Python $(PY_MIN_MAJOR).$(PY_MIN_MINOR): recreating it" >&2
	  rm -rf "$(VENV)"
	fi
	if [ ! -x "$(VENV)/bin/python" ]; then
	  py=""
	  for cand in $${PYTHON:-} python3 python3.13 python3.12 python3.11; do
	    if command -v "$$cand" >/dev/null 2>&1 && "$$cand" -c 'import sys; sys.exit(sys.version_info < ($(PY_MIN_MAJOR), $(PY_MIN_MINOR)))' 2>/dev/null; then
	      py="$$cand"; break
	    fi
	  done
	  if [ -z "$$py" ]; then
	    echo "libledger needs Python >= $(PY_MIN_MAJOR).$(PY_MIN_MINOR) with venv: install it (Debian/Ubuntu: apt-get install python3 python3-venv; other systems: https://www.python.org/downloads/), or run make PYTHON=/path/to/python3.11" >&2
	    exit 1
	  fi
	  echo "==> creating $(VENV) with $$py ($$("$$py" -c 'import sys; print(sys.version.split()[0])'))" >&2
	  if ! "$$py" -m venv "$(VENV)"; then
	    rm -rf "$(VENV)"
	    echo "libledger: '$$py -m venv' failed: install Python's venv module (Debian/Ubuntu: apt-get install python3-venv)" >&2
	    exit 1
	  fi
	fi
	echo "==> pip install -e '.[dev]' into $(VENV)" >&2
	"$(VENV)/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q -e '.[dev]'
	touch "$@"

# ---------------------------------------------------------------------------------------------
# Node: node >= 18 and npm (apt-get as root when missing), then `npm ci` from package-lock.json.

$(NPM_STAMP): package-lock.json package.json
	@node_ok() {
	  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
	    && [ "$$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge $(NODE_MIN) ]
	}
	if ! node_ok; then
	  if [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	    echo "==> installing Node.js and npm with apt-get" >&2
	    export DEBIAN_FRONTEND=noninteractive
	    apt-get update -q && apt-get install -y -q nodejs npm </dev/null
	  fi
	  if ! node_ok; then
	    echo "libledger needs Node.js >= $(NODE_MIN) with npm: install them (Debian/Ubuntu: sudo apt-get install nodejs npm; other systems: https://nodejs.org/) and run make again" >&2
	    exit 1
	  fi
	fi
	if [ -L node_modules ]; then
	  # A worktree sharing another checkout's node_modules: never let npm ci wipe the target.
	  echo "==> node_modules is a symlink ($$(readlink node_modules)): skipping npm ci; run it where it points if package-lock.json changed" >&2
	  exit 0
	fi
	echo "==> npm ci (node $$(node --version), npm $$(npm --version))" >&2
	npm ci --no-audit --no-fund --loglevel=error </dev/null
	touch "$@"
