# Two commands matter (see README): `make acceptance` and `make test`.
# Both create .venv from requirements.txt when it is missing or older than it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
PROCESSES ?= 4
RESULTS := results
ROBOT_DIRS := robot
ROBOT_PATHS := --pythonpath . --pythonpath libraries
KEYWORD_LIBRARIES := MockServices MediaClients ServiceHealth ResilienceTimeline CompanionProcess SharedState
# each held to fail_under (pyproject.toml) on its own
COVERED_PACKAGES := mockservers libraries/companion $(addprefix libraries/,$(KEYWORD_LIBRARIES))
# pabot starts `robot` by name: the venv's must come first
export PATH := $(abspath $(BIN)):$(PATH)
# every Python process of a run (pytest workers, robot workers, mock CLIs) can reuse the compiled project
# and test modules in __pycache__ (git-ignored) after a change, rather than compiling them again each time
unexport PYTHONDONTWRITEBYTECODE

.PHONY: all venv chromium acceptance acceptance-isolated robot-serial pytest lint test coverage docs bench clean

all: test

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

venv: $(STAMP) chromium

## Debian's chromium, the browser robot/health_page.robot drives (no browser download): installed with apt-get
## when it is missing and make runs as root; otherwise says what is missing (the suite then fails saying so too).
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests: apt-get install chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "MISSING: chromium, needed by robot/health_page.robot (tag browser): install Debian's chromium" \
		     "(sudo apt-get install chromium) or put a chromium on PATH"; \
	fi

# How `make acceptance` splits the suites: the fastest way by measurement
# (`python -m benchmarks.suite_times`, table in benchmarks/README.md): the tests in 4 chunks, one process each
# (since the companion-process, Redis, PostgreSQL and browser suites came, each suite's own start-up cost is
# spread over the processes; the suite groups of robot/pabot_ordering.txt are still measured beside it).
PABOT_SPLIT ?= --testlevelsplit --chunk --processes $(PROCESSES)
# The isolation proof: every test in its own process (`make acceptance-isolated`, part of `make test`).
ISOLATED_SPLIT := --testlevelsplit --processes $(PROCESSES)
PABOT_OUTPUTS = --outputdir $(RESULTS)$(1) --output output.xml --log log.html --report report.html --xunit xunit.xml
PABOT_ARGS := --no-pabotlib $(PABOT_SPLIT) $(call PABOT_OUTPUTS,) $(ROBOT_PATHS) $(ROBOT_DIRS)
ISOLATED_ARGS := --no-pabotlib $(ISOLATED_SPLIT) $(call PABOT_OUTPUTS,/isolated) $(ROBOT_PATHS) $(ROBOT_DIRS)
# `make coverage`: the same split in two chunks: beside the two pytest runs it finishes as early as with four
# and spends less CPU on starting traced robot workers
COVERAGE_PABOT_SPLIT ?= --testlevelsplit --chunk --processes 2
COVERAGE_PABOT_ARGS := --no-pabotlib $(COVERAGE_PABOT_SPLIT) $(call PABOT_OUTPUTS,) $(ROBOT_PATHS) $(ROBOT_DIRS)
# pytest in parallel (pytest-xdist): the tests wait on sockets more than they compute
PYTEST_ARGS := -n 4 --dist loadfile
# `make coverage`: the tests marked `untraced` (pyproject.toml) run in their own pytest process without the
# tracer, at the same time as the traced tests and the traced pabot run (the machine is busy with all three)
PYTEST_TRACED_WORKERS ?= 2
PYTEST_UNTRACED_WORKERS ?= 2
TRACED_PYTEST_ARGS = -n $(PYTEST_TRACED_WORKERS) -m 'not untraced'
# loadfile: one worker runs a whole fuzz module in file order, so its closing count check sees every route
UNTRACED_PYTEST_ARGS = -n $(PYTEST_UNTRACED_WORKERS) --dist loadfile -rs -m untraced
COVERAGE := $(BIN)/python -m coverage

## All Robot suites in parallel with pabot, split the fastest way; reports in results/.
acceptance: venv
	mkdir -p $(RESULTS)
	$(BIN)/pabot $(PABOT_ARGS)

## The same suites with every test in its own process (--testlevelsplit): reports in results/isolated/.
acceptance-isolated: venv
	mkdir -p $(RESULTS)/isolated
	$(BIN)/pabot $(ISOLATED_ARGS)

## The same suites with plain, serial robot (what pabot must agree with).
robot-serial: venv
	mkdir -p $(RESULTS)/serial
	$(BIN)/robot --outputdir $(RESULTS)/serial --xunit xunit.xml $(ROBOT_PATHS) $(ROBOT_DIRS)

pytest: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## robocop over the Robot data, ruff (pyproject.toml) over every Python file.
lint: venv
	$(BIN)/robocop check $(ROBOT_DIRS) resources
	$(BIN)/ruff check .

## pytest and the pabot suites under coverage (every process measured, then combined), all three runs at once:
## the tests marked `untraced` (fuzzers, robot/benchmark runs) without the tracer, the rest traced;
## HTML in results/coverage/; fails when a package is below fail_under; per-package lines, total printed last.
coverage: venv
	mkdir -p $(RESULTS)
	$(COVERAGE) erase
	@status=0; \
	$(BIN)/python -m pytest $(UNTRACED_PYTEST_ARGS) > $(RESULTS)/pytest-untraced.log 2>&1 & untraced=$$!; \
	$(COVERAGE) run -m pabot.pabot $(COVERAGE_PABOT_ARGS) > $(RESULTS)/pabot-coverage.log 2>&1 & pabot=$$!; \
	echo "$(COVERAGE) run -m pytest $(TRACED_PYTEST_ARGS)   (beside: pytest -m untraced, pabot)"; \
	$(COVERAGE) run -m pytest $(TRACED_PYTEST_ARGS) || status=1; \
	echo "--- pytest -m untraced, no tracer ($(RESULTS)/pytest-untraced.log):"; \
	if wait $$untraced; then tail -n 1 $(RESULTS)/pytest-untraced.log; else status=1; cat $(RESULTS)/pytest-untraced.log; fi; \
	echo "--- pabot under coverage ($(RESULTS)/pabot-coverage.log):"; \
	if wait $$pabot; then grep -E '^[0-9]+ tests, ' $(RESULTS)/pabot-coverage.log | tail -n 1; tail -n 3 $(RESULTS)/pabot-coverage.log; else status=1; cat $(RESULTS)/pabot-coverage.log; fi; \
	exit $$status
	$(COVERAGE) combine --quiet
	@$(COVERAGE) html --quiet & html=$$!; \
	status=0; for part in $(COVERED_PACKAGES); do \
		$(COVERAGE) report --include="$$part/*" > $(RESULTS)/coverage-$$(basename $$part).txt || status=1; \
		grep '^TOTAL' $(RESULTS)/coverage-$$(basename $$part).txt | awk -v p=$$part '{print "coverage (branch) " p ": " $$NF}'; \
	done; \
	$(COVERAGE) report > $(RESULTS)/coverage.txt || status=1; \
	[ $$status -eq 0 ] || echo "coverage below fail_under (pyproject.toml): see $(RESULTS)/coverage*.txt"; \
	grep '^TOTAL' $(RESULTS)/coverage.txt | awk '{print "coverage (branch) total: " $$NF}'; \
	wait $$html || { echo "coverage html failed"; status=1; }; \
	exit $$status

## Every test: robocop and ruff, pytest and the Robot suites under pabot, with the coverage threshold.
test: lint coverage

## libdoc HTML of every keyword library and resource file into docs/ (committed), and the README's picture of
## the health page, taken by its browser test (docs/health-page.png).
docs: venv
	mkdir -p docs
	$(BIN)/robot --outputdir $(RESULTS)/docs-picture --include readme-picture $(ROBOT_PATHS) \
		--variable PAGE_SCREENSHOT:$(abspath docs/health-page.png) robot/health_page.robot
	for lib in $(KEYWORD_LIBRARIES); do \
		$(BIN)/libdoc --pythonpath . --pythonpath libraries $$lib docs/$$lib.html || exit 1; done
	for res in resources/*.resource; do \
		$(BIN)/libdoc --pythonpath . --pythonpath libraries $$res docs/$$(basename $$res .resource).html || exit 1; done

## Benchmarks: suite wall times, then figures printed and written to results/bench/ (Markdown, JSON, PNG).
bench: venv
	PYTHONPATH=.:libraries $(BIN)/python -m benchmarks.suite_times --out $(RESULTS)/bench
	PYTHONPATH=.:libraries $(BIN)/python -m benchmarks --out $(RESULTS)/bench

clean:
	rm -rf $(RESULTS)/* $(RESULTS)/.coverage* pabot_results .pabotsuitenames pabot_manager.log
