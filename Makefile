# The two commands: `make run` and `make test`. Everything else is a helper.
VENV   := .venv
PYTHON := $(VENV)/bin/python
export DEBUG ?= 1
# where `make run` serves: `make run PORT=8001 HOST=0.0.0.0` lets a colleague's browser in
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: run test e2e lint serve seed messages clean help bench rehearsal

help:
	@echo "make run   - create .venv, install, migrate, load demo data, serve on http://127.0.0.1:8000"
	@echo "             (make run PORT=8001 HOST=0.0.0.0 to serve elsewhere)"
	@echo "make test  - install test tools and run checks and the whole test suite"
	@echo "make e2e   - browser tests (accessibility, keyboard) in /usr/bin/chromium"
	@echo "make rehearsal - the production rehearsal with deploy/ on PostgreSQL (docs/operations.md)"

# Pick the first Python >= 3.12 on PATH.
$(PYTHON):
	@py=""; for c in python3.13 python3.12 python3.14 python3; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "找不到 Python 3.12 或更高版本，请先安装。 / No Python 3.12 or newer found on PATH; please install one." >&2; exit 1; \
	fi; \
	echo "Creating $(VENV) with $$($$py --version)"; \
	$$py -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(PYTHON)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed-run
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The names runserver answers to (an ALLOWED_HOSTS in the environment wins): any, when it
# listens on every interface (a phone or a colleague reaches it by this machine's LAN address),
# else the address given. Links handed outside then use the address a page was opened at
# (ledger/site_url.py), so no SITE_URL is needed here.
comma := ,
BIND = $(if $(findstring :,$(HOST)),[$(HOST)],$(HOST))
SERVED_HOSTS = $(if $(filter 0.0.0.0 :: [::],$(HOST)),*,$(BIND)$(comma)127.0.0.1$(comma)localhost)

run: $(VENV)/.installed-run
	@$(PYTHON) scripts/port_free.py $(HOST) $(PORT)
	$(PYTHON) manage.py migrate --noinput
	$(PYTHON) manage.py seed_demo
	@$(PYTHON) manage.py demo_logins
	ALLOWED_HOSTS='$(or $(ALLOWED_HOSTS),$(SERVED_HOSTS))' $(PYTHON) manage.py runserver $(BIND):$(PORT)

# lint-imports checks the import contract (pyproject.toml [tool.importlinter]): the core
# never imports a room, rooms don't import each other, no cycles, selectors never import screens.
lint: $(VENV)/.installed-dev
	$(PYTHON) manage.py check
	$(PYTHON) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# The suite runs in parallel (pytest-xdist), one worker per CPU core; `make test JOBS=1` runs
# it in one process (easier to read a failure), `make test JOBS=4` on a bigger machine.
JOBS ?= auto
test: lint
	$(PYTHON) -m pytest -n $(JOBS)

# Browser tests (tests/e2e, and the service room's phone journeys in tests/service): every
# role's journeys over real HTTP, axe-core accessibility checks and keyboard journeys in
# Debian's chromium against a demo server on a temporary SQLite database. Never skipped: as
# root on Debian a missing chromium is installed with apt-get; otherwise this fails and says
# what to install.
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
e2e: $(VENV)/.installed-dev
	@if [ ! -x "$(CHROMIUM)" ] && [ "$(CHROMIUM)" = /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make e2e: installing Debian's chromium and fonts-noto-cjk (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "make e2e: $(CHROMIUM) is missing. The browser tests need Debian's chromium: apt-get install chromium fonts-noto-cjk" >&2; \
	  exit 1; \
	fi
	$(PYTHON) -m pytest -m e2e -p no:cacheprovider --durations=0 --durations-min=5 tests/e2e
	$(PYTHON) -m pytest -m e2e -p no:cacheprovider tests/service

# The pages at scale (issue 11, bench/pages.py): a fresh PostgreSQL database zz_bench_<N>
# (BENCH_DB=name), seed_bench N issues, gunicorn with production settings, HTTP measurements
# into bench/results/<date>-<size>.md. REUSE=1 keeps a database already seeded with N issues.
N ?= 10000
bench: $(VENV)/.installed-dev
	DEBUG=0 N=$(N) $(PYTHON) bench/pages.py --issues $(N)

# The production rehearsal (issue 21, scripts/rehearsal.py, docs/operations.md): deploy/'s
# env file and units with real parts on this machine: a fresh PostgreSQL database, gunicorn,
# the worker, a local SMTP server; sign-in, mails, a worker outage, backup and restore,
# /healthz's three states. Stops what it started and drops its databases. Under 5 minutes.
rehearsal: $(VENV)/.installed-dev
	$(PYTHON) scripts/rehearsal.py

# Re-extract and compile the translation catalogs (needs GNU gettext; the compiled
# .mo files are committed so `make run` needs no extra tools). zh_Hans is filled
# automatically (msgstr = msgid); translate new English entries by hand, then run again.
messages: $(VENV)/.installed-dev
	$(PYTHON) manage.py makemessages --locale zh_Hans --locale en --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --no-obsolete
	$(PYTHON) scripts/catalog_chinese.py
	$(PYTHON) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
