# The two commands of the README: `make demo` and `make test`.
# Both create .venv when it is missing and install what they need into it.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# durable-rules supports CPython 3.11 and 3.12: take the first such interpreter found.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if (3,11) <= sys.version_info[:2] <= (3,12) else 1)' 2>/dev/null && { echo $$p; break; }; done)

.PHONY: demo test install clean bench browser

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "syncdoctor needs CPython 3.11 or 3.12 (durable-rules does not build on other versions)" >&2; exit 2; fi
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# diagnose exits 1 when it finds a cause: that is the demo working, not failing.
demo: $(STAMP)
	$(BIN)/syncdoctor diagnose --facts docs/examples/acme.yaml --user asmith@acme.example || [ $$? -eq 1 ]
	$(BIN)/syncdoctor explain MANAGED_NOT_ASSIGNED --facts docs/examples/acme.yaml --user asmith@acme.example --business-unit 0Uv5e0000000001CAA

# The HTML report is tested in Debian's headless chromium, driven through chromedriver.
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver; \
	fi

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# The benchmark (docs/performance.md): 1k, 10k and 100k users, about half an hour on 2 CPUs.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
