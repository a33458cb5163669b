# Every target sets itself up: a virtual environment in .venv with the CPU build
# of torch (install a CUDA build yourself first for a GPU), then sknmi and its extras.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= torch==2.13.0

.PHONY: install demo test test-fast lint typecheck wheel-check docs docs-noplot docs-check chromium examples clean \
	bench-bmi bench-bmi-samples bench-bmi-theirs bench-bmi-ours

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test,plot,docs,cli,dev]"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/sknmi demo

test: install
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) typecheck

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy over the whole package, as configured in pyproject.toml ([tool.mypy]).
typecheck: install
	$(BIN)/mypy

# The package as a user installs it: the sdist and the wheel built by `python -m
# build` (the wheel from the sdist), their metadata checked by twine and their
# contents by .ci/check_dist.py (every module, py.typed, the licence, the
# command); then the wheel, not editable, in a fresh virtual environment with
# the CPU torch first and only the runtime dependencies, smoke-tested from a
# directory outside the source tree (.ci/smoke_wheel: import, --version, demo,
# estimate on a generated .npz). --no-compile: byte-compiling all of torch took
# 30 of the 40 s of its install; the smoke test compiles only what it imports.
DIST ?= dist
WHEEL_VENV ?= build/wheel-venv
wheel-check: install
	rm -rf $(DIST) $(WHEEL_VENV)
	$(BIN)/python -m build --outdir $(DIST) .
	$(BIN)/twine check --strict $(DIST)/*
	$(BIN)/python .ci/check_dist.py $(DIST)
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet --no-compile "$(TORCH)"
	$(WHEEL_VENV)/bin/python -m pip install --quiet --no-compile $(DIST)/sknmi-*.whl
	.ci/smoke_wheel $(WHEEL_VENV)

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

# The "Beyond Normal" benchmark (Czyz et al., NeurIPS 2023), hours on 2 cores;
# not run by CI. bmi pins an old JAX, so it gets a virtual environment of its own
# (BMI_VENV, Python 3.9-3.12): it samples the 40 tasks (1k, 5k, 10k rows, seeds
# 0-2) to benchmarks/results/beyond_normal_samples/*.npz and runs bmi's MINE and
# InfoNCE on the 10k, seed-0 samples; the project's environment scores the same
# samples with sknmi's defaults, KSG and Gaussian. `make -j2 bench-bmi` runs the
# two sides at once. Both CSVs resume where a cut-short run stopped.
BMI_VENV ?= .venv-bmi
BMI_PINS := benchmark-mi==0.1.3 jax==0.4.20 jaxlib==0.4.20 scipy==1.11.4 \
	chex==0.1.85 optax==0.1.7 numpy==1.26.4
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
	XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

$(BMI_VENV)/.installed:
	$(PYTHON) -m venv $(BMI_VENV)
	$(BMI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BMI_VENV)/bin/python -m pip install --quiet $(BMI_PINS)
	touch $@

bench-bmi-samples: $(BMI_VENV)/.installed
	$(BMI_VENV)/bin/python benchmarks/bmi_tasks.py sample

bench-bmi-theirs: bench-bmi-samples
	$(ONE_THREAD) $(BMI_VENV)/bin/python benchmarks/bmi_tasks.py run

bench-bmi-ours: install bench-bmi-samples
	$(ONE_THREAD) $(BIN)/python benchmarks/beyond_normal.py

bench-bmi: bench-bmi-theirs bench-bmi-ours
	$(BIN)/python benchmarks/beyond_normal.py --summary

clean:
	rm -rf $(VENV) $(DIST) $(WHEEL_VENV) doc/_build doc/auto_examples doc/gen_modules doc/generated
