# Nine paper re-implementations, one folder each; this Makefile builds their environments and
# runs their entrypoints. `make help` lists the targets.
#
# <name> is a subproject folder, with or without underscores: train-dab_detr == train-dabdetr.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON      ?= python3
CONFIG      ?=
CHECKPOINT  ?=
ARGS        ?=
GPUS        ?=
NNODES      ?= 1
NODE_RANK   ?= 0
MASTER_ADDR ?= 127.0.0.1
MASTER_PORT ?= 29500
ISOLATED    ?=
export NNODES NODE_RANK MASTER_ADDR MASTER_PORT PYTHON

ROOT        := $(CURDIR)
VENV        := $(ROOT)/.venv
SUBPROJECTS := lipsformer disco_clip ascend_diffusion dab_detr mfd_gfl textvqa_t5 table_master graphnorm hamming_ocr
# Subprojects appear as their issues land; folders with pyproject.toml + requirements.txt get targets.
PRESENT     := $(foreach s,$(SUBPROJECTS),$(if $(wildcard $(s)/pyproject.toml),$(if $(wildcard $(s)/requirements.txt),$(s))))

# Processes per node when GPUS is not given: DisCo-CLIP's embedded run is distributed by design.
DEFAULT_GPUS_disco_clip := 2

venv_of = $(if $(ISOLATED),$(ROOT)/$(1)/.venv,$(VENV))
py_of   = $(call venv_of,$(1))/bin/python
# $(call run,<subproject>,<script>,<args>): set up the environment, then launch from the folder.
define run
	$(ROOT)/tools/make_env.sh $(call venv_of,$(1)) $(1) $(ROOT)/$(1)/requirements.txt $(ROOT)/$(1)
	cd $(1) && GPUS=$(or $(GPUS),$(DEFAULT_GPUS_$(1)),1) $(ROOT)/tools/launch.sh $(call py_of,$(1)) $(2) $(3)
endef
config_arg     = $(if $(CONFIG),--config $(CONFIG))
checkpoint_arg = $(if $(CHECKPOINT),--checkpoint $(CHECKPOINT))

define SUBPROJECT_RULES
.PHONY: env-$(1) train-$(1) eval-$(1) test-$(1) reproduce-$(1) bench-$(1)
env-$(1):
	$(ROOT)/tools/make_env.sh $(call venv_of,$(1)) $(1) $(ROOT)/$(1)/requirements.txt $(ROOT)/$(1)
train-$(1):
	$$(call run,$(1),tools/train.py,$$(config_arg) $$(ARGS))
eval-$(1):
	$$(call run,$(1),tools/eval.py,$$(config_arg) $$(checkpoint_arg) $$(ARGS))
reproduce-$(1):
	$$(call run,$(1),tools/reproduce.py,$$(ARGS))
bench-$(1):
	$$(call run,$(1),tools/bench.py,$$(ARGS))
test-$(1): env-$(1)
	cd $(1) && $(call py_of,$(1)) -m pytest tests $$(ARGS)
endef
FAMILIES := env train eval test reproduce bench
# `train-dabdetr` runs `train-dab_detr`; the empty recipe stops make from looking for a pattern rule.
define ALIAS_RULES
.PHONY: $(foreach t,$(FAMILIES),$(t)-$(subst _,,$(1)))
$(foreach t,$(FAMILIES),$(t)-$(subst _,,$(1))): %-$(subst _,,$(1)): %-$(1) ;
endef
$(foreach s,$(PRESENT),$(eval $(call SUBPROJECT_RULES,$(s))))
$(foreach s,$(PRESENT),$(if $(findstring _,$(s)),$(eval $(call ALIAS_RULES,$(s)))))

.PHONY: help env test test-tools lint clean
help: ## list the targets
	@echo "usage: make <target> [CONFIG=path] [CHECKPOINT=path] [ARGS='...'] [GPUS=n]"
	@echo "                     [NNODES=n NODE_RANK=i MASTER_ADDR=host MASTER_PORT=p] [ISOLATED=1]"
	@echo
	@{ grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/\1|\2/'; \
	   echo "env-<name>|build the environment: shared .venv/, or <name>/.venv/ with ISOLATED=1"; \
	   echo "train-<name>|train; no arguments: quick config on the embedded default dataset"; \
	   echo "eval-<name>|evaluate CHECKPOINT= (CONFIG= as in training)"; \
	   echo "test-<name>|run the subproject's pytest suite"; \
	   echo "reproduce-<name>|CPU-scale reproduction of the paper's claims, tables into its README"; \
	   echo "bench-<name>|benchmark against the named baseline, printed as ratios"; \
	 } | awk -F'|' '{ printf "  %-18s %s\n", $$1, $$2 }'
	@echo
	@echo "  <name>: $(foreach s,$(PRESENT),$(s)$(if $(findstring _,$(s)), ($(subst _,,$(s)))))"
	@echo "  not landed yet: $(filter-out $(PRESENT),$(SUBPROJECTS))"

env: ## build the shared .venv/ with every subproject and the tools' smoke-test stack
	$(ROOT)/tools/make_env.sh $(VENV) tools $(ROOT)/tools/requirements.txt
	@$(foreach s,$(PRESENT),$(ROOT)/tools/make_env.sh $(VENV) $(s) $(ROOT)/$(s)/requirements.txt $(ROOT)/$(s);)

test-tools: ## smoke-test the environments and launchers themselves (tools/tests)
	$(ROOT)/tools/make_env.sh $(VENV) tools $(ROOT)/tools/requirements.txt
	$(VENV)/bin/python -m pytest tools/tests $(ARGS)

test: env ## run every test suite: tools, then each subproject
	$(VENV)/bin/python tools/run_tests.py $(VENV)/bin/python tools $(PRESENT)

lint: env ## ruff over the whole repo
	$(VENV)/bin/python -m ruff check .

clean: ## remove work dirs, generated data and caches (keeps the venvs and the mmcv wheel cache)
	find . -path ./.venv -prune -o -path '*/.venv' -prune -o \
	  \( -name __pycache__ -o -name .pytest_cache -o -name .ruff_cache -o -name work_dirs \) -type d -print0 \
	  | xargs -0 rm -rf

define UNKNOWN_RULE
$(1)-%:
	@echo "no subproject '$$*' here; landed: $(strip $(PRESENT))" >&2; exit 2
endef
$(foreach t,$(FAMILIES),$(eval $(call UNKNOWN_RULE,$(t))))
