# The README's two commands: `make quickstart` (the main job on an offline stand-in) and `make test`.
# Both create .venv and install irbench from this repository's own files first.
PYTHON ?= python3
VENV ?= .venv
# torch 2.13.0 resolves to a local CPU build on this project's machines; elsewhere pick your build.
TORCH ?= torch==2.13.0
# a machine without a GPU elsewhere: TORCH_INDEX=https://download.pytorch.org/whl/cpu (PyTorch's CPU wheels)
TORCH_INDEX ?=
STAND_IN ?= data/irmas-stand-in
# epochs of VGG per seed on the tiny stand-in (its default, 40, takes minutes on 2 cores)
QUICKSTART_EPOCHS ?= 10
# pytest-xdist processes for `make test`: one per core of the 2-core machines CI runs on (modules stay whole:
# a module's tests share fixtures, and the real-Slurm ones one cluster; modules marked slow are handed out first)
TEST_WORKERS ?= 2
BIN := $(VENV)/bin

.PHONY: install quickstart test clean

$(BIN)/irbench: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/irbench

quickstart: install
	$(BIN)/irbench data synth irmas --out $(STAND_IN) --scale tiny --seed 0
	$(BIN)/irbench run --task irmas --baseline constant --data-home $(STAND_IN)
	$(BIN)/irbench run --task irmas --baseline vgg --data-home $(STAND_IN) --max-epochs $(QUICKSTART_EPOCHS) \
		--seed 0 --seed 1 --seed 2
	$(BIN)/irbench report --results-dir results --out reports

# the project's own modules are compiled once first, as pip compiles installed packages: under
# PYTHONDONTWRITEBYTECODE (set on this project's machines) every test's subprocess would compile them again
test: install
	$(BIN)/python -m compileall -q benchmark baselines tasks >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder

clean:
	rm -rf $(VENV) .cache data results/irmas reports/index.html
