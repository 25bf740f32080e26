# Two commands a newcomer needs:  `make run` (set up, open the app)  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint system-deps bench bundle clean

setup: $(STAMP)

# llama.cpp is compiled with its RPC backend (a model split across machines, docs/distributed.md),
# which a default build leaves out. pip caches a wheel it built by its source, not by CMAKE_ARGS,
# so a cached build without RPC would be reused silently: this one package is always compiled
# here, without the cache. CMAKE_ARGS given to make (a GPU backend, README) are added.
LLAMA_CMAKE_ARGS := -DGGML_RPC=on $(CMAKE_ARGS)

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	# llama-cpp-python compiles llama.cpp here: about 4 minutes on 2 cores.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir \
		--no-binary llama-cpp-python 'llama-cpp-python>=0.3'
	$(BIN)/python -c 'import llama_cpp, sys; sys.exit(None if llama_cpp.llama_supports_rpc() else "llama.cpp was built without RPC")'
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/llamadesk

# Tests start real parts themselves; the OCI registry server comes from Debian, and openssl
# makes the certificate of the HTTPS-through-a-proxy download test.
system-deps:
	@command -v docker-registry >/dev/null 2>&1 || { \
		echo "installing Debian's docker-registry for the registry tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-registry; }
	@command -v openssl >/dev/null 2>&1 || { \
		echo "installing openssl for the HTTPS download test"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl; }
	@# The Chinese window's font (ui/fonts.py): Latin and CJK glyphs in one face, 5.2 MB.
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
		echo "installing fonts-wqy-microhei for the Chinese window"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-wqy-microhei; }
	@# The journey tests run the app in a real X window: Xvfb, xdotool to click, ImageMagick's
	@# import to take the screen (tests/ui/test_journey_*.py).
	@command -v Xvfb >/dev/null 2>&1 && command -v xdotool >/dev/null 2>&1 && command -v import >/dev/null 2>&1 || { \
		echo "installing xvfb, xdotool and imagemagick for the journey tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q xvfb xdotool imagemagick; }
	@# PyInstaller reads binaries with objdump and the bundle is stripped with strip (tests/packaging).
	@command -v objdump >/dev/null 2>&1 && command -v strip >/dev/null 2>&1 || { \
		echo "installing binutils for the bundle tests"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q binutils; }

# pytest exits 5 when it collected nothing: a broken suite, reported as such.
test: setup system-deps
	@$(BIN)/python -m pytest $(PYTEST_ARGS) || { rc=$$?; \
		[ $$rc -ne 5 ] || echo "pytest collected no tests: the suite is broken" >&2; exit $$rc; }

# mypy reads packages from folders named as they are imported; setup.py maps core/ to
# llamadesk.core and so on, so build/typecheck/llamadesk links each folder under its name.
TYPECHECK := build/typecheck
PACKAGES := core lib plugins ui cli

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@rm -rf $(TYPECHECK) && mkdir -p $(TYPECHECK)/llamadesk && touch $(TYPECHECK)/llamadesk/__init__.py
	@for pkg in $(PACKAGES); do ln -s ../../../$$pkg $(TYPECHECK)/llamadesk/$$pkg; done
	cd $(TYPECHECK) && ../../$(BIN)/mypy --config-file ../../pyproject.toml llamadesk

# Each prints ratios against a baseline measured in the same run; see benchmarks/README.md.
BENCHMARKS := runtime_tokens api_streaming api_dialects pull_throughput hf_pull chat_search ui_streaming bundle soak rpc_split tools_loop
bench: setup
	@for name in $(BENCHMARKS); do echo "== $$name"; $(BIN)/python benchmarks/$$name.py || exit 1; done

# The one-folder app in dist/llamadesk/ (see packaging/README.md); try it with
# dist/llamadesk/llamadesk --self-test
bundle: setup
	$(BIN)/python packaging/build.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
