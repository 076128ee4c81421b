# `make audit`: install and audit this machine with the default playbook, writing the report.
# `make test`:  install everything and run the whole test suite (what CI runs).
PY ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
REPORT_DIR ?= reports

.PHONY: audit test venv system-deps lint bench clean

$(BIN)/secaudit: pyproject.toml constraints.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@touch $@

venv: $(BIN)/secaudit

system-deps:
	bash scripts/system-deps.sh

audit: venv
	@mkdir -p $(REPORT_DIR)
	$(BIN)/secaudit audit --format json -o $(REPORT_DIR)/$$(hostname)-report.json; rc=$$?; \
	  if [ $$rc -gt 1 ]; then exit $$rc; fi

lint: venv
	$(BIN)/ruff check secaudit tests bench
	$(BIN)/mypy secaudit
	$(BIN)/lint-imports

test: system-deps venv lint
	$(BIN)/pytest -q -p no:cacheprovider tests

bench: system-deps venv
	bash scripts/system-deps.sh --bench
	$(BIN)/python bench/audit_vs_lynis.py
	$(BIN)/python bench/scan_vs_nmap.py
	$(BIN)/python bench/backup_verify.py
	$(BIN)/python bench/sign_verify.py
	$(BIN)/python bench/render.py
	$(BIN)/python bench/replay_windows.py
	$(BIN)/python bench/collector.py

clean:
	rm -rf $(VENV) $(REPORT_DIR) dist build
