# Rehearse: `make run` sets up and serves; `make test` sets up and runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
PYBABEL := $(VENV)/bin/pybabel
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install translations db setup run test test-fast test-browser browser extract-messages update-messages bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

## install: virtual environment, pinned requirements, compiled translations (idempotent)
install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(PYBABEL) compile -d app/translations

## db: create or upgrade the database (SQLite under instance/ unless DATABASE_URL is set)
db: install
	$(FLASK) db upgrade

## setup: migrate, load content/ and scenarios/, seed the demo organisation
setup: db
	$(FLASK) seed-demo

run: setup
	$(FLASK) run --host $(HOST) --port $(PORT)

## browser: Debian's Chromium for the browser tests (installed when missing and we are root)
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "Chromium is missing: browser tests will be skipped"

test: setup browser
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not browser and not slow"

test-browser: install browser
	$(PY) -m pytest -m browser

extract-messages: $(VENV)/.installed
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot --ignore-dirs=".venv tests instance node_modules" .

update-messages: extract-messages
	$(PYBABEL) update -N -i app/translations/messages.pot -d app/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
