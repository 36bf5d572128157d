# Keyou: the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
export KEYOU_DATA_DIR ?= $(CURDIR)/var

# Benchmarks that need PostgreSQL make (and drop) their own database here.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432/keyou_bench

.PHONY: run test bench lint format install clean messages

$(BIN)/keyou: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/keyou

install: $(BIN)/keyou

run: install
	$(BIN)/keyou migrate --noinput
	$(BIN)/keyou demo --once
	$(BIN)/keyou bootstrap
	$(BIN)/keyou serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/ingest.py --messages 20000
	$(BIN)/python bench/latency.py --messages 100000 --keep var/bench
	$(BIN)/python bench/sync.py --messages 20000
	$(BIN)/python bench/automation.py --messages 3000 --rules 50
	$(BIN)/python bench/pool.py --accounts 50000
	$(BIN)/python bench/analytics_data.py --database-url $(BENCH_PG) --messages 1000000 --accounts 50000 --users 50
	$(BIN)/python bench/analytics.py --database-url $(BENCH_PG)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the translatable strings and compile the catalogs (needs GNU gettext).
messages: install
	cd keyou && ../$(BIN)/keyou makemessages -l zh_Hans --ignore=.venv --ignore=tests --ignore=bench --ignore=var --no-obsolete
	cd keyou && ../$(BIN)/keyou compilemessages

clean:
	rm -rf $(VENV) var .pytest_cache build *.egg-info
