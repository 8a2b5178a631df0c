# The two commands a new user needs: `make demo` and `make test`.
# Each creates .venv when missing and installs the project into it.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@# CPU wheel first when no CUDA GPU is visible (a bare `torch` would pull GBs of CUDA packages).
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		$(PY) -m pip install -q "torch>=2.2,<3"; \
	else \
		$(PY) -m pip install -q "torch==2.13.0"; \
	fi
	$(PY) -m pip install -q -e ".[all,dev]"
	@touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m experiments.demo

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest
