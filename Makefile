# osnova: `make run` serves the site, `make test` runs the tests. Both set everything up.
PYTHON ?= python3
VENV := .venv
TOOLS := .tools
UV := $(TOOLS)/bin/uv
SYNCED := $(VENV)/.synced
RUNTIME := $(VENV)/.synced-runtime
TEST_WORKERS ?= auto
HOST ?= 127.0.0.1
PORT ?= 8000
# Branch coverage of src/osnova measured by `make test`; raise it when coverage rises.
COVERAGE_FLOOR ?= 86

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode compiled at install: these machines (like many Docker images) set
# PYTHONDONTWRITEBYTECODE=1, and without .pyc files every process, every gunicorn worker
# included, compiles each module it imports again.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test check fmt bench setup clean translations

run: $(RUNTIME)
	$(VENV)/bin/osnova db upgrade
	$(VENV)/bin/osnova seed-demo
	$(VENV)/bin/osnova serve --with-worker --host $(HOST) --port $(PORT)

test: $(SYNCED)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup --cov=osnova --cov-branch --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

check: $(SYNCED)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/mypy src tests bench
	$(VENV)/bin/python scripts/translations.py check
	$(VENV)/bin/python scripts/check_course.py
	$(VENV)/bin/gixy deploy/nginx/*.conf

fmt: $(SYNCED)
	$(VENV)/bin/ruff check --fix src tests bench scripts
	$(VENV)/bin/ruff format src tests bench scripts

translations: $(SYNCED)
	$(VENV)/bin/python scripts/translations.py update

# HTTP_BENCH_ARGS: e.g. --quick; PostgreSQL joins in when OSNOVA_BENCH_POSTGRES_URL is set.
bench: $(SYNCED)
	$(VENV)/bin/python bench/http_bench.py $(HTTP_BENCH_ARGS)
	$(VENV)/bin/python bench/transfer.py
	$(VENV)/bin/python bench/sign_in_throttle.py

setup: $(SYNCED)

# uv itself comes from PyPI, pinned by hash; it then installs exactly what uv.lock says.
$(UV): requirements/bootstrap.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --require-hashes -r requirements/bootstrap.txt
	touch $@

$(SYNCED): $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	$(VENV)/bin/python -m compileall -q src
	touch $@

# Serving needs only the runtime dependencies: `make run` leaves the test and lint tools out
# (--inexact keeps them when `make test` installed them first).
$(RUNTIME): $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --no-dev --inexact --python "$$(command -v $(PYTHON))"
	$(VENV)/bin/python -m compileall -q src
	touch $@

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
