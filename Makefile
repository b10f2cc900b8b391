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

.PHONY: all venv acceptance robot-serial pytest lint test clean

all: test

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

## All Robot suites in parallel with pabot, one test per process slot; reports in results/.
acceptance: venv
	mkdir -p $(RESULTS)
	$(BIN)/pabot --testlevelsplit --processes $(PROCESSES) --outputdir $(RESULTS) \
		--output output.xml --log log.html --report report.html --xunit xunit.xml \
		$(ROBOT_PATHS) $(ROBOT_DIRS)

## The same suites with plain, serial robot (what pabot must agree with).
robot-serial: venv
	mkdir -p $(RESULTS)/serial
	$(BIN)/robot --outputdir $(RESULTS)/serial --xunit xunit.xml $(ROBOT_PATHS) $(ROBOT_DIRS)

pytest: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/robocop check $(ROBOT_DIRS) resources

## Every test: pytest, the Robot suites under pabot, robocop. Non-zero on any failure.
test: pytest acceptance lint

clean:
	rm -rf $(RESULTS)/* pabot_results .pabotsuitenames
