# The two commands of the README: `make demo` and `make test`. Both set up everything
# they need (a .venv with the package installed) on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# root installs directly; anyone else through sudo
SUDO   ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CHROMIUM := /usr/bin/chromium
CJKFONT  := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
SHELLCHECK := /usr/bin/shellcheck

.PHONY: demo test install lint typecheck unit screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chainrisk needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The browser test drives Debian's Chromium (never a browser downloaded by a test tool);
# the CJK font makes the Chinese pages readable in it and in the screenshots;
# tests/test_compose.py checks the container's entrypoint script with shellcheck.
$(CHROMIUM) $(CJKFONT) $(SHELLCHECK):
	$(SUDO) apt-get update -q
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-wqy-microhei shellcheck

demo: $(STAMP)
	$(BIN)/chainrisk load --quiet loaders/bundles/ic loaders/bundles/5g
	$(BIN)/chainrisk info
	$(BIN)/chainrisk ui

lint: $(STAMP)
	$(BIN)/ruff check app.py chainrisk tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(CHROMIUM) $(CJKFONT) $(SHELLCHECK)
	$(BIN)/pytest -q

test: lint typecheck unit

# The browser test again, saving its screenshots into docs/img (the README's pictures);
# make test saves them into a temporary folder and leaves the work tree as it was.
screenshots: $(STAMP) $(CHROMIUM) $(CJKFONT)
	CHAINRISK_SCREENSHOTS=docs/img $(BIN)/pytest -q -p no:cacheprovider tests/ui/test_browser.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
