# Two commands on a fresh machine: `make run` (the app) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 || command -v python3)

.PHONY: run test setup dev chromium bench lint clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## The app at http://127.0.0.1:8501
run: setup
	$(PY) -m streamlit run app.py

## Debian's chromium for the browser tests (apt, when missing and we are allowed to)
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium missing and cannot be installed here: browser tests will be skipped"; fi

## Everything: unit, engine, AppTest and real-browser tests
test: dev chromium
	$(PY) -m pytest

bench: dev chromium
	$(PY) -m pip install --quiet -r bench/requirements.txt
	$(PY) bench/discovery.py
	$(PY) bench/effects.py
	$(PY) bench/editor.py

lint: dev
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache
