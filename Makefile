# The registry's two everyday commands: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# Django 6 needs Python 3.12 or newer: take the first such interpreter found.
PYTHON ?= $(shell for c in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 python3; do \
	  p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test messages demo check-python clean bench

run: $(BIN)/.installed messages
	@mkdir -p var
	DEBUG=1 $(BIN)/python manage.py migrate --no-input -v 1
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(BIN)/.installed messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The load and interchange benchmark (docs/performance.md): about 10 minutes on 2 cores,
# needs the local PostgreSQL; never part of `make test` or CI. BENCH_ARGS="--reuse" keeps the data.
bench: $(BIN)/.installed messages
	$(BIN)/python bench/run.py $(BENCH_ARGS)

messages: $(BIN)/.installed
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install GNU gettext (apt-get install gettext)" >&2; exit 1; }
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=$(VENV) -v 0

check-python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (Django 6); none was found." >&2; exit 1; }

$(BIN)/.installed: requirements.txt | check-python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

clean:
	rm -rf $(VENV) var staticfiles
