# The two commands a new user needs: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck unit bench clean browser libreoffice axe

# The web form's end-to-end test drives Debian's Chromium (Playwright never downloads a browser here).
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hsb-sheets demo demo-workspace

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --pretty

browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

# The end-to-end test of a register saved by a desktop program drives Debian's headless LibreOffice.
libreoffice:
	@command -v soffice >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui; }

# The web form's accessibility test injects axe-core, pinned in package.json and package-lock.json.
axe:
	@[ -f node_modules/axe-core/axe.min.js ] || { \
		command -v npm >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends npm; }; \
		npm ci --no-audit --no-fund; }

unit: $(STAMP) browser libreoffice axe
	$(BIN)/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/intake.py
	$(BIN)/python benchmarks/meetings.py
	$(BIN)/python benchmarks/sheets_calls.py
	$(BIN)/python benchmarks/date_reading.py
	$(BIN)/python benchmarks/form_load.py

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache node_modules
