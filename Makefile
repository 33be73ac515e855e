# Two commands do all set-up on a fresh machine: `make brief` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
SCENARIO ?= indispensable_host

.PHONY: brief test lab bench clean install

USER_ID ?= $(shell id -u)
# JupyterLab refuses to start as root unless told to (containers and CI often run as root).
LAB_FLAGS := $(if $(filter 0,$(USER_ID)),--allow-root,)

$(STAMP): pyproject.toml
	@echo "installing decision and its dependencies (numpy, pandas, pymcdm, plotly, JupyterLab, papermill, playwright," \
	      "the test tools; see pyproject.toml) into $(VENV)/: about 2 minutes on a fresh machine ..."
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)
	@echo "installed: $(BIN)/decision, $(BIN)/pytest, $(BIN)/jupyter"

install: $(STAMP)

# The main result: a briefing for the default scenario from the bundled data.
brief: $(STAMP)
	$(BIN)/decision brief --scenario $(SCENARIO)

# The whole test suite (unit, property, notebook and browser tests).
test: $(STAMP)
	$(BIN)/python -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg tests notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) notebooks/

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_robustness.py
	$(BIN)/python benchmarks/bench_sureness.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_options.py
	$(BIN)/python benchmarks/bench_strategy.py
	$(BIN)/python benchmarks/bench_cli.py

clean:
	rm -rf $(VENV) out briefings .pytest_cache
