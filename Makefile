# Trygg: `make run` serves the Timrå demo, `make test` runs the whole suite with lint and type checks.
# Installs come from uv.lock (`uv sync --frozen`); PYTHON picks the interpreter (3.11 to 3.13), and
# each interpreter gets its own environment: .venv for python3, .venv-python3.13 for PYTHON=python3.13.
PYTHON ?= python3
VENV ?= $(if $(filter python3,$(PYTHON)),.venv,.venv-$(notdir $(PYTHON)))
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export TRYGG_DB ?= $(CURDIR)/var/trygg.sqlite
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
SYNC = $(UV) sync --frozen --compile-bytecode --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"

.PHONY: run install install-test test check system-deps bench demo lock clean

# uv itself, pinned, in a small environment of its own (so `uv sync` never removes it).
$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)
	$(SYNC)

install-test: $(UV)
	$(SYNC) --extra test

# Re-resolve the lock file after changing pyproject.toml (for every supported Python at once).
lock: $(UV)
	$(UV) lock

# Debian packages the tests need: Chromium for page tests, GDAL's ogrinfo for GeoPackage checks,
# poppler-utils' pdftoppm for rendering the follow-up report's PDF, PostgreSQL with PostGIS for
# the store on PostGIS (tests/pg.py starts a throwaway server; nothing runs as a service).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v ogrinfo >/dev/null 2>&1 || missing="$$missing gdal-bin"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || missing="$$missing postgis"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: install
	$(BIN)/trygg demo --if-empty

run: install demo
	TRYGG_DEMO=1 $(BIN)/trygg serve

# Lint, type and layering checks (import-linter contracts in pyproject.toml); part of `make test`.
check: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: install-test system-deps check
	$(BIN)/pytest -n auto -q

bench: $(UV)
	$(SYNC) --extra test --extra bench
	@for script in bench/*.py; do [ -e "$$script" ] || continue; echo "== $$script"; $(BIN)/python "$$script"; done

clean:
	rm -rf .venv .venv-* .tools var .pytest_cache .mypy_cache .ruff_cache
