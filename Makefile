# The two commands that set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint format clean

# The venv is rebuilt when the dependency list changes.
$(BIN)/coresponse: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# A fresh demo database each time, its history ending yesterday so that today's live calls
# and the "last 30 days" pages meet without a gap.
demo: $(BIN)/coresponse
	rm -f var/coresponse.sqlite3 var/coresponse.sqlite3-wal var/coresponse.sqlite3-shm
	$(BIN)/coresponse migrate --no-input
	$(BIN)/coresponse seed --scenario county --seed 42 --until yesterday --live
# One person across agencies: the linker estimates its model from the seeded records and links
# them (uncertain pairs wait in the identity review queue).
	$(BIN)/coresponse link
	@echo "Serving Coresponse on http://127.0.0.1:8000, background worker beside it (Ctrl-C stops both)"
	$(BIN)/coresponse worker --interval 2 & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/coresponse runserver 127.0.0.1:8000

test: $(BIN)/coresponse
	scripts/test.sh

bench: $(BIN)/coresponse
	scripts/bench.sh

lint: $(BIN)/coresponse
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(BIN)/coresponse
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var test-artifacts
