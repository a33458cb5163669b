# Every target sets itself up: a virtual environment in .venv with the CPU build
# of torch (install a CUDA build yourself first for a GPU), then sknmi and its extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0

.PHONY: install demo test test-fast lint docs docs-noplot docs-check chromium examples clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test,plot,docs,cli]"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/sknmi demo

test: install
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The site with every gallery example executed (figures, printed output, run
# times in sg_execution_times), warnings as errors.
docs: install
	$(BIN)/sphinx-build -W --keep-going -b html doc doc/_build/html

# A quick build that does not run the examples (no figures).
docs-noplot: install
	$(BIN)/sphinx-build -W --keep-going -b html -D plot_gallery=0 doc doc/_build/html

examples: docs

# Headless Chromium (Debian's package) for the browser check of the built site.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] || { echo "install chromium (as root: make chromium)"; exit 1; }; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Load pages of the built site (run `make docs` first) in headless Chromium with
# the network off: figures loaded, maths typeset.
docs-check: install chromium
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs_site.py

clean:
	rm -rf $(VENV) doc/_build doc/auto_examples doc/gen_modules
