# Ochre: top-level commands. Each lab directory has its own Makefile too
# (make -C lab1-paging qemu | grade | qemu-gdb); see README.md.
#
#   make run            boot the most complete lab interactively
#   make test           everything CI checks: host tests, every lab's grade,
#                       and proof that each lab's tests fail on its starter code
#   make grade          grade the most complete lab (and all labs before it)
#   make replay TEST=x  replay a boot that make grade GRADE_ARGS=--record recorded
#                       (make replay-gdb TEST=x: under gdb, which steps backwards)
#   make handout        write the student tree to build/handout (every lab
#                       stripped); LAB=N: lab N's tree alone, labs < N solved,
#                       later labs absent, in build/handout-labN
#   make submit         (in a student tree) write submit-labN.tar.gz, the
#                       archive to hand in (LAB=N; default: the last lab)
#   make gradescope     the Gradescope autograder zip of each lab (LAB=N: one),
#                       build/gradescope/labN.zip; HIDDEN=dir adds hidden tests
#   make batch SUBMISSIONS=dir LAB=N   grade every submission in dir
#                       (build/batch/labN/roster.csv; docs/instructors.md)
#   make handout-check  starter code builds, boots and fails its lab's tests
#   make host-test      the grader's host tests (HOST_ARGS='-k NAME' for some)
#   make deps           install missing Debian packages (deps-course: and
#                       the tools only the course's own tests use)
#   make clang          every lab through clang too (zero warnings)
#   make bench          run the benchmarks of the most complete lab
#   make profile        where fork's and mmap's instructions go, call by call
#   make check-duplicates  no kernel logic repeated across labs (developers:
#                       needs the `duplicates` tool, which CI does not have)

SHELL := /bin/bash
PYTHON = $(shell common/mk/find-python)
# Labs with a kernel of their own, in order; the last is the most complete.
LABS := $(patsubst %/Makefile,%,$(sort $(wildcard lab[1-6]-*/Makefile)))
LATEST := $(lastword $(LABS))
# Labs that have grader tests (grader/test_labN.py or test_labN_*.py).
GRADED := $(foreach l,$(LABS),$(if $(wildcard $(foreach f,.py _*.py,grader/test_lab$(shell echo $(l) | sed 's/lab\([0-9]\).*/\1/')$(f))),$(l)))
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all run test grade grade-all host-test handout handout-check deps deps-course submit gradescope \
	clang bench profile clean help compile_commands.json check-duplicates batch replay replay-gdb

# Every lab, all at once: the sub-makes share the -j slots, so one lab's
# serial steps (links, grub-mkrescue) overlap another's compiles.
all: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(addprefix build-,$(LABS))

build-%:
	@$(MAKE) --no-print-directory -C $*

help:
	@sed -n '3,26p' Makefile

deps:
	@common/mk/deps.sh

# What the course's own tests need on top (a browser, JSON Schema, Slurm, clang):
# make test installs it; a student's make deps does not.
deps-course:
	@common/mk/deps.sh --course

run: deps
	@$(MAKE) --no-print-directory -j$(JOBS) -C $(LATEST) qemu

# HOST_JOBS: pytest workers (make test runs twice as many as cores: most
# host tests spend their time waiting for the builds, grades and QEMUs they
# start, and more workers keep the cores busy meanwhile).
HOST_JOBS ?= $(JOBS)
host-test: deps
	$(PYTHON) -m pytest grader/host -q -rs -n $(HOST_JOBS) $(HOST_ARGS)

grade: deps
	@$(MAKE) --no-print-directory -j$(JOBS) -C $(LATEST) grade GRADE_FROM='$(CURDIR)'

# make grade at the top grades the latest lab: its recordings are there.
replay replay-gdb:
	@$(MAKE) --no-print-directory -C $(LATEST) $@ TEST='$(TEST)'

# Every graded lab, each against its own kernel, with Gradescope output.
# Every lab is built first (a lab's grade also links a variant of a later
# lab's kernel from that lab's objects). Two labs at a time (the most complete, the longest, first), each shown
# whole when it ends (-O): one lab's build and grader start-up overlap
# another's tests. Each lab's tests run one at a time (-n 0): two labs at a
# time already keep two cores busy, and xdist's workers would cost about
# 1 CPU-s a lab to start and feed.
grade-all: all
	@$(MAKE) --no-print-directory -j2 -O $(addprefix grade-,$(call reverse,$(GRADED)))

reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))
grade-lab%:
	@$(MAKE) --no-print-directory -C lab$*
	@echo "=== grading lab$* ==="
	@$(PYTHON) -m pytest grader --lab $(firstword $(subst -, ,$*)) -n 0 \
		--gradescope build/grade/lab$(firstword $(subst -, ,$*))-results.json

handout: deps
	$(PYTHON) grader/handout.py make $(if $(LAB),build/handout-lab$(LAB) --lab $(LAB),build/handout)

submit:
	@$(PYTHON) grader/submit.py $(if $(LAB),--lab $(LAB))

gradescope: deps
	$(PYTHON) grader/gradescope.py $(if $(LAB),--lab $(LAB)) $(if $(HIDDEN),--hidden $(HIDDEN))

# OUT=dir to write elsewhere than build/batch/labN; HIDDEN=dir adds hidden tests.
batch: deps
	@if [ -z "$(SUBMISSIONS)" ] || [ -z "$(LAB)" ]; then \
		echo "usage: make batch SUBMISSIONS=dir LAB=N [OUT=dir] [JOBS=n] [HIDDEN=dir]"; exit 2; fi
	@$(PYTHON) grader/batch --lab $(LAB) '$(SUBMISSIONS)' -j $(JOBS) $(if $(OUT),--out '$(OUT)') \
		$(if $(HIDDEN),--hidden '$(HIDDEN)')

handout-check: deps
	$(PYTHON) grader/handout.py check --jobs 2

# Every lab is built first; then the four phases, which need nothing from
# each other, run side by side (common/mk/phases.py: one phase's waits are
# filled with another's work), each into its own log in build/test/. The
# host tests, the grades and the handout check start from those builds
# (grader/handout.py seed_build) instead of building the labs again. The
# host tests take longest, so the others run under nice: they fill the
# cores whenever the host tests wait, and never hold the host tests up.
test: deps-course
	@start=$$(date +%s); \
	$(PYTHON) common/mk/phases.py build/test 'all=$(MAKE) --no-print-directory all' -- \
		'host-test=$(MAKE) --no-print-directory host-test HOST_JOBS=$(shell echo $$((2 * $(JOBS))))' \
		$(foreach p,grade-all handout-check clang,'$(p)=nice -n 10 $(MAKE) --no-print-directory $(p)') && \
	grep -hE '^=== grading|^  TOTAL:' build/test/grade-all.log && \
	sed -n '/^handout check: every point test/,$$p' build/test/handout-check.log && \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s"

check-duplicates:
	@common/tools/check-duplicates

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) -C $(LATEST) bench

profile: deps
	@$(MAKE) --no-print-directory -j$(JOBS) -C $(LATEST) profile

# For editors (clangd): the compile commands of the most complete lab.
compile_commands.json:
	@$(MAKE) --no-print-directory -C $(LATEST) compile_commands.json

# clang's warnings on every C file of every lab, each once: the most
# complete lab, which holds nearly all of the code, compiled and linked with
# clang (what the kernel, bootstrap and the programs need; not the ISO:
# grub-mkrescue has nothing to say about clang), and in each earlier lab its
# front end over the files the next lab retires (`make syntax-check
# SYNTAX_ONLY=...` in common/mk/lab.mk), which no later lab compiles. At
# -O0: clang's warnings come from its front end whatever the optimization
# level, and this build is never booted.
clang:
	@$(MAKE) --no-print-directory -j$(JOBS) $(addprefix clang-check-,$(filter-out $(LATEST),$(LABS))) clang-build
# An earlier lab: only the files the next lab retires (lab.mk, syntax-check).
clang-check-%:
	@next=$$(ls -d lab$$(( $$(echo $* | sed 's/lab\([0-9]\).*/\1/') + 1 ))-* 2>/dev/null); \
	files=$$(if [ -n "$$next" ]; then $(MAKE) -s --no-print-directory -C $$next print-THIS_RETIRES; fi); \
	if [ -n "$$files" ]; then $(MAKE) --no-print-directory -C $* syntax-check CC=clang SYNTAX_ONLY="$$files"; fi
clang-build:
	@$(MAKE) --no-print-directory -C $(LATEST) CC=clang B=$(CURDIR)/build/clang/$(LATEST) \
		EXTRA_CFLAGS=-O0 OCHRE_CCACHE= \
		$(CURDIR)/build/clang/$(LATEST)/kernel.elf $(CURDIR)/build/clang/$(LATEST)/modules.img

clean:
	rm -rf build compile_commands.json
