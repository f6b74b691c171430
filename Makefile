# `make run` and `make test` work on a fresh machine: they create .venv and install first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test load bench lint format messages lock clean

# The exact versions of requirements.lock, then Veille itself (editable) without resolving again.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Resolve the dependencies of pyproject.toml again, to their newest allowed versions.
lock: install
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --upgrade --extra dev --strip-extras --no-emit-index-url \
		--no-emit-trusted-host --no-emit-find-links -o requirements.lock pyproject.toml

install: $(STAMP)

## Serve Veille on SQLite (./veille.db) with the demo data, and print the demo accounts;
## `make run PORT=8001` serves on another port, the links of its mail with it.
PORT = 8000
run: install
	VEILLE_BASE_URL="$${VEILLE_BASE_URL:-http://127.0.0.1:$(PORT)}" $(BIN)/veille serve --demo --port $(PORT)

## Run the whole test suite (set VEILLE_TEST_POSTGRES_URL to run it on PostgreSQL too).
test: install
	$(BIN)/pytest -p no:cacheprovider -n auto $(PYTEST_ARGS)

## Many partners writing at once through a real server and SMTP server: SQLite, and PostgreSQL
## with one and four workers when VEILLE_TEST_POSTGRES_URL is set (see docs/operations.md).
load: install
	$(BIN)/python scripts/loadtest.py

## Each page's latency and requests/s under wrk, beside /healthz, into docs/performance.md
## (bench/README.md; e.g. BENCH_ARGS="--scale city" or "--engine postgresql --workers 2").
bench: install
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check src tests migrations scripts
	$(BIN)/ruff format --check src tests migrations scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff check --fix src tests migrations scripts
	$(BIN)/ruff format src tests migrations scripts

## Extract the messages of the code and templates, and merge them into the French catalogue.
messages: install
	$(BIN)/pybabel --quiet extract -w 100 -F babel.cfg -k N_ -k translate -o src/veille/locales/messages.pot .
	$(BIN)/pybabel --quiet update -w 100 --no-fuzzy-matching -i src/veille/locales/messages.pot -d src/veille/locales -l fr

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
