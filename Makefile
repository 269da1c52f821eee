# The two set-up commands: `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One venv, two stamps: what running needs (`make run`, the workers) and, on top, the test
# tooling (`make test`: pytest, Playwright, Schemathesis, ruff, ...). Each stamp is rebuilt when
# pyproject.toml changes; `make test` after `make run` only adds the dev extra.
STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# `make run` serves with DEBUG off (the site's own 404 and 500 pages, never a traceback),
# with a secret key made once for this clone, over plain http.
DEMO_SECRET := $(VENV)/.demo-secret-key
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist; one test module stays on one process, so its world is built
# once). PYTEST_WORKERS=0 runs everything in this process.
PYTEST_WORKERS ?= 2
# Where `make run` really serves (0.0.0.0 listens everywhere; links then name this machine).
SITE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: run test lint migrations-check worker beat bench clean install install-dev

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

$(DEMO_SECRET): | $(STAMP)
	$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $(DEMO_SECRET)

# The demo's environment: DEBUG off (static files from staticfiles/ through WhiteNoise), plain
# http (no redirect to https, cookies not marked Secure), HOST allowed when it names one.
DEMO_ENV = SITE_URL=$(SITE_URL) DJANGO_DEBUG=False DJANGO_SECRET_KEY="$$(cat $(DEMO_SECRET))" \
	DJANGO_SECURE_SSL_REDIRECT=False DJANGO_SECURE_COOKIES=False \
	DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost,[::1]$(if $(filter-out 0.0.0.0 :: 127.0.0.1 localhost,$(HOST)),$(comma)$(HOST))
comma := ,

# Collected again only when a static file or the installed packages change.
STATIC_MANIFEST := staticfiles/staticfiles.json
$(STATIC_MANIFEST): $(STAMP) $(shell find static -type f 2>/dev/null) | $(DEMO_SECRET)
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	touch $(STATIC_MANIFEST)

run: $(STAMP) $(DEMO_SECRET) $(STATIC_MANIFEST)
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

test: $(DEV_STAMP) lint migrations-check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

worker: $(STAMP)
	$(BIN)/python bin/worker --loglevel=info -Q mail,checks,matching,transfer,celery

beat: $(STAMP)
	$(BIN)/celery -A workshop beat --loglevel=info

bench: $(STAMP)
	$(BIN)/python bench/matching.py
	$(BIN)/python bench/bidding.py
	$(BIN)/python bench/affinity.py
	$(BIN)/python bench/checks.py
	$(BIN)/python bench/decision_board.py --sizes 250,2000

clean:
	rm -rf $(VENV) .pytest_cache staticfiles
