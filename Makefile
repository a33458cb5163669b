# Every target sets itself up: a virtual environment in .venv with the CPU build
# of torch (install a CUDA build yourself first for a GPU), then sknmi and its extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0

.PHONY: install demo test test-fast lint docs examples clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test,plot,docs]"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/sknmi demo

test: install
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check .

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check .

docs: install
	$(BIN)/sphinx-build -W --keep-going -b html -D plot_gallery=0 doc doc/_build/html

examples: install
	$(BIN)/sphinx-build -b html doc doc/_build/html

clean:
	rm -rf $(VENV) doc/_build doc/auto_examples doc/gen_modules
