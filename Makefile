# The two set-up commands: `make run` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist; one test module stays on one process, so its world is built
# once). PYTEST_WORKERS=0 runs everything in this process.
PYTEST_WORKERS ?= 2
# Where `make run` really serves (0.0.0.0 listens everywhere; links then name this machine).
SITE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: run test lint migrations-check worker beat bench clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py seed_demo
	SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

test: lint migrations-check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

worker: $(STAMP)
	$(BIN)/celery -A workshop worker --loglevel=info -Q mail,checks,matching,celery

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
