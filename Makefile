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
	@# -qq: setuptools' editable install prints an informational "Editable installation" notice
	@# (a warning category); errors are still shown.
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# diagnose exits 1 when it finds a cause: that is the demo working, not failing.
demo: $(STAMP)
	@echo "== diagnose: why does asmith@acme.example not sync? (exit 1: something to act on)"
	$(BIN)/syncdoctor diagnose --facts docs/examples/acme.yaml --user asmith@acme.example || [ $$? -eq 1 ]
	@echo "== explain: the proof of MANAGED_NOT_ASSIGNED, down to the snapshot's facts"
	$(BIN)/syncdoctor explain MANAGED_NOT_ASSIGNED --facts docs/examples/acme.yaml --user asmith@acme.example --business-unit 0Uv5e0000000001CAA

# The HTML report is tested in Debian's headless chromium, driven through chromedriver. When
# they are missing, say what is installed and why before apt-get runs (as root, or via sudo).
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		echo "make test: the HTML report test (tests/cli/test_html_browser.py) runs in a real headless browser."; \
		echo "Installing Debian's $(BROWSER_PACKAGES) with apt-get$${SUDO:+ through sudo} (with their dependencies:"; \
		echo "about 26 packages, 120 MB). Install them yourself beforehand to skip this step."; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		echo "apt-get will install:" && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -s --no-install-recommends $(BROWSER_PACKAGES) | sed -n 's/^Inst \([^ ]*\).*/  \1/p' | tr '\n' ' ' && echo && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGES); \
	fi

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# The benchmark (docs/performance.md, "make bench"): every figure of issue 28, this code side by side
# with the release BEFORE_REF (exported with git archive and installed once under .bench/), at 10k
# and 100k users, 1 and 2 jobs, plus one user at 100k, role depth and group fan-in: 50 minutes on
# 2 CPUs on 2026-12-07. The tables are rewritten after each step, so a run stopped half way keeps
# its figures. BEFORE_REF is the release docs/performance.md's run was measured against; give the
# last release (make bench BEFORE_REF=<commit>) to measure a change.
BEFORE_REF ?= caac8da
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py --before-ref $(BEFORE_REF)

clean:
	rm -rf $(VENV) build *.egg-info
