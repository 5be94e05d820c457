# The one build recipe. A lab's Makefile sets LAB (its number), optionally
# RETIRES (files of earlier labs this lab replaces), and includes this file.
#
#   make            build build/labN/ochre.iso (and kernel.elf + modules.img
#                   for direct boot)
#   make qemu       boot it interactively (CMDLINE='ktest=all' to choose;
#                   QEMU_ISO=path boots another build's ISO, building nothing;
#                   BOOT=direct boots kernel.elf without GRUB, as the grader
#                   does, QEMU_KERNEL= and QEMU_MODULES= another build's)
#   make qemu-gdb   boot it stopped, waiting for gdb (then: make gdb)
#   make grade      run the grader for labs 1..N on this lab's kernel
#   make replay TEST=name   replay a boot recorded by make grade GRADE_ARGS=--record
#   make replay-gdb TEST=name  the same under gdb (reverse-stepi, reverse-continue)
#   make submit     write submit-labN.tar.gz at the top: the files to hand in
#   make bench      the user-space benchmarks under -icount shift=0, then
#                   bootbench: boot time through GRUB and directly
#   make profile    where fork's and mmap's instructions go (docs/bench.md)
#   make clean      remove build/labN
#   make print-VAR  print a make variable (e.g. KERNEL_CODE_FLAGS)
#
# Lab N's kernel is built from common/ plus the kernel/ directories of labs
# 1..N, minus every file named in a RETIRES line of those labs' Makefiles.

SHELL := /bin/bash
# A failing command in a pipe fails the recipe (nm | symbolize > ksyms.c),
# and a target whose recipe failed is deleted, so a truncated output never
# counts as up to date.
.SHELLFLAGS := -o pipefail -c
.DELETE_ON_ERROR:
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)

ifndef OCHRE_LAB_MK
# Reading the earlier labs' Makefiles (below) includes this file again; the
# second time it does nothing.
OCHRE_LAB_MK := 1
LAB ?= $(error set LAB in the lab Makefile)
THIS_LAB := $(LAB)

# Labs 1..N, found by name (lab1-paging, lab2-contexts, ...). A directory
# without a Makefile (a lab not released yet: only its HANDOUT.md) adds
# nothing.
LABDIRS := $(foreach n,$(shell seq 1 $(LAB)),\
	$(patsubst %/Makefile,%,$(wildcard $(TOP)/lab$(n)-*/Makefile)))
LABNAME := $(notdir $(lastword $(LABDIRS)))
B := $(TOP)/build/lab$(LAB)
ISO := $(B)/ochre.iso
KERNEL := $(B)/kernel.elf

# What each lab's Makefile says, read by make itself (so "RETIRES := a b",
# "RETIRES += c" and continuation lines all work): RETIRES, files of earlier
# labs this lab replaces (paths from the top; a path that does not exist is
# an error), and USER_MODE, how user programs are packaged: "bundle" (lab 2:
# all linked into the bootstrap image) until a lab says "elf" (lab 3:
# separate ELF files in the initfs image). The last lab that says one wins.
# This lab's Makefile has set both before including this file; the earlier
# labs' Makefiles are included here for theirs. So a lab Makefile sets only
# LAB, RETIRES and USER_MODE, then includes this file.
THIS_RETIRES := $(RETIRES)
THIS_USER_MODE := $(USER_MODE)
RETIRED :=
USER_MODE_SAID :=
check_retires = $(foreach p,$(2),$(if $(wildcard $(TOP)/$(p)),,$(error $(1)/Makefile: \
	RETIRES names $(p), which does not exist (paths are from the top of the repository))))
define read_lab_makefile
RETIRES :=
USER_MODE :=
include $(1)/Makefile
$$(call check_retires,$(notdir $(1)),$$(RETIRES))
RETIRED += $$(addprefix $(TOP)/,$$(RETIRES))
USER_MODE_SAID += $$(USER_MODE)
endef
$(foreach d,$(filter-out $(lastword $(LABDIRS)),$(LABDIRS)),$(eval $(call read_lab_makefile,$(d))))
$(call check_retires,$(LABNAME),$(THIS_RETIRES))
RETIRED += $(addprefix $(TOP)/,$(THIS_RETIRES))
USER_MODE_SAID += $(THIS_USER_MODE)
LAB := $(THIS_LAB)
RETIRES := $(THIS_RETIRES)
USER_MODE := $(lastword bundle $(USER_MODE_SAID))
# EXTRA_RETIRES=path on the command line drops more (the grader links a
# kernel without a seam provider this way, into its own B=, from the
# normal build's objects: KOBJ_DIR below).
RETIRED += $(addprefix $(TOP)/,$(EXTRA_RETIRES))

# ---- tools -------------------------------------------------------------------

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
HOSTCC ?= cc
# Lab N compiles the files of labs 1..N again, mostly into the very objects
# lab N-1 made: ccache, when installed (make deps installs it), hands those
# back instead (make all: about 58 -> 33 CPU-s). Its cache is this tree's own
# (build/ccache), so another tree's files (a handout, a submission being
# graded) never supply an object. Each lab compiles from its own directory
# and -g records that directory (DW_AT_comp_dir), which would make every lab
# miss: nothing reads it here (every source path given to the compiler is
# absolute), so it is left out of the cache key (CCACHE_NOHASHDIR). An
# object from the cache may name another lab's directory there, nothing
# else differs. OCHRE_CCACHE= (empty) compiles everything.
OCHRE_CCACHE ?= $(shell command -v ccache 2>/dev/null)
CCACHE := $(OCHRE_CCACHE)
export CCACHE_DIR := $(TOP)/build/ccache
export CCACHE_NOHASHDIR := 1
LD := ld
NASM := nasm
# Found at its first use, once: find-python starts a Python (about 0.13 s of
# CPU), which a make that only compiles and links never needs.
PYTHON = $(eval PYTHON := $(shell $(TOP)/common/mk/find-python))$(PYTHON)
Q := $(if $(V),,@)

# ---- sources -----------------------------------------------------------------

KSRCDIRS := $(TOP)/common/boot $(TOP)/common/kernel $(TOP)/common/lib \
	$(addsuffix /kernel,$(LABDIRS))
KSRCS := $(filter-out $(RETIRED),\
	$(foreach d,$(KSRCDIRS),$(wildcard $(d)/*.c $(d)/*.asm)))
# KOBJ_DIR: where kernel objects go. A variant kernel that only leaves
# files out of the link (EXTRA_RETIRES) can use the normal build's objects.
KOBJ_DIR ?= $(B)/obj
KOBJS := $(patsubst $(TOP)/%,$(KOBJ_DIR)/%.o,$(KSRCS))
# PROF_OF=dir (make profile): a kernel compiled with -DOCHRE_PROF that
# shares dir's objects (the normal build's) wherever the macro cannot change
# the code. Compiled again: every file whose dependency file in dir names a
# file that names OCHRE_PROF (matched by file name, so a path spelled
# another way errs towards compiling), and every file without one there.
ifdef PROF_OF
PROF_NAMING := $(notdir $(shell grep -rl OCHRE_PROF $(KSRCDIRS) $(TOP)/common/include))
PROF_SHARED := $(if $(PROF_NAMING),$(shell cd $(PROF_OF)/obj && \
	grep -LF $(addprefix -e /,$(PROF_NAMING)) \
	$(patsubst $(TOP)/%,%.d,$(KSRCS)) 2>/dev/null))
KOBJS := $(foreach o,$(patsubst $(TOP)/%,%.o,$(KSRCS)),\
	$(if $(filter $(o:.o=.d),$(PROF_SHARED)),$(PROF_OF)/obj/$(o),$(KOBJ_DIR)/$(o)))
endif

KINCLUDES := -I$(TOP)/common/kernel -I$(TOP)/common/include -I$(TOP)/common/lib \
	$(addprefix -I,$(addsuffix /kernel,$(LABDIRS)))

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes \
	-Wshadow -Wvla
# How kernel code is compiled, without paths or dependency output: the host
# tests compile shared code (common/lib) with exactly these (make
# print-KERNEL_CODE_FLAGS), so they cannot drift from the build.
KERNEL_CODE_FLAGS := -std=gnu11 -O2 $(WARNINGS) \
	-ffreestanding -fno-builtin -nostdinc \
	-fno-stack-protector -fno-pic -fno-pie -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing \
	-mno-red-zone -mcmodel=kernel -mno-sse -mno-sse2 -mno-mmx -mno-80387
KCFLAGS := $(KERNEL_CODE_FLAGS) -g -isystem $(shell $(CC) -print-file-name=include) \
	-fmacro-prefix-map=$(TOP)/= -MMD -MP $(KINCLUDES) -DOCHRE_LAB=$(LAB) -DOCHRE_LAB_NAME='"$(LABNAME)"' \
	$(EXTRA_CFLAGS)
KLDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

# ---- rules -------------------------------------------------------------------

.PHONY: all qemu qemu-gdb gdb grade replay replay-gdb submit bench bootbench profile clean \
	compile_commands.json FORCE
.DEFAULT_GOAL := all
BOOTMODS := $(B)/modules.img
all: $(ISO) $(BOOTMODS)

$(KOBJ_DIR)/%.c.o: $(TOP)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $*.c"
	$(Q)$(CCACHE) $(CC) $(KCFLAGS) -c $< -o $@

$(KOBJ_DIR)/%.asm.o: $(TOP)/%.asm
	@mkdir -p $(dir $@)
	@echo "  NASM  $*.asm"
	$(Q)$(NASM) -f elf64 -g -F dwarf -i $(TOP)/common/kernel/ -MD $(@:.o=.d) -MP $< -o $@

$(B)/tools/symbolize: $(TOP)/common/tools/symbolize.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

# Two links (see common/kernel/ksyms.c): the first with an empty symbol
# table, the second with the table made from the first. Text addresses
# cannot move between them because .ksyms comes after .text; we check.
LDSCRIPT := $(TOP)/common/boot/kernel.ld
$(B)/ksyms-empty.c: $(B)/tools/symbolize
	$(Q)$(B)/tools/symbolize --ksyms-c < /dev/null > $@
$(B)/ksyms.c: $(B)/kernel.pass1.elf $(B)/tools/symbolize
	$(Q)nm -n $< | $(B)/tools/symbolize --ksyms-c > $@
$(B)/%.o: $(B)/%.c
	$(Q)$(CCACHE) $(CC) $(KCFLAGS) -c $< -o $@

$(B)/kernel.pass1.elf: $(KOBJS) $(B)/ksyms-empty.o $(LDSCRIPT)
	$(Q)$(LD) $(KLDFLAGS) -T $(LDSCRIPT) -o $@ $(KOBJS) $(B)/ksyms-empty.o

$(KERNEL): $(B)/kernel.pass1.elf $(B)/ksyms.o
	@echo "  LD    $(notdir $@)"
	$(Q)$(LD) $(KLDFLAGS) -T $(LDSCRIPT) -o $@ $(KOBJS) $(B)/ksyms.o
	$(Q)nm -n $@ > $(B)/kernel.sym
	$(Q)if ! cmp -s <(nm -n $< | grep -i ' t ') <(grep -i ' t ' $(B)/kernel.sym); then \
		echo "error: text symbols moved between links (see lab.mk)"; exit 1; fi

# ---- the front end alone -------------------------------------------------------
#
# make syntax-check CC=clang: every C file of this lab through the
# compiler's front end only (-fsyntax-only), many files to one compiler
# process: all of its warnings (-Werror), no code generated. SYNTAX_ONLY
# (paths from the top) checks only those of its files. `make clang` at the
# top builds and links the most complete lab with clang, and checks in each
# earlier lab only the files the next lab retires: every other file of an
# earlier lab is compiled by that build too (no header is replaced), so
# each C file of every lab goes through clang once.
SYNTAX_ONLY ?=
syntax_files = $(if $(SYNTAX_ONLY),$(filter $(addprefix $(TOP)/,$(SYNTAX_ONLY)),$(1)),$(1))
SYNTAX_KSRCS = $(call syntax_files,$(filter %.c,$(KSRCS)))
SYNTAX_USRCS = $(call syntax_files,$(filter %.c,$(LIBC_SRCS)) $(USER_SRCS) $(BOOTSTRAP_PARTS))
.PHONY: syntax-check
syntax-check:
	$(if $(SYNTAX_KSRCS),@echo "  CHECK $(LABNAME) with $(CC): kernel$(if $(SYNTAX_ONLY), (only the $(words $(SYNTAX_KSRCS)) the next lab retires))")
	$(if $(SYNTAX_KSRCS),$(Q)$(CC) $(filter-out -MMD -MP,$(KCFLAGS)) -fsyntax-only $(SYNTAX_KSRCS))
	$(if $(SYNTAX_USRCS),@echo "  CHECK $(LABNAME) with $(CC): libc and programs$(if $(SYNTAX_ONLY), (only the $(words $(SYNTAX_USRCS)) the next lab retires))")
	$(if $(SYNTAX_USRCS),$(Q)$(CC) $(filter-out -MMD -MP,$(UCFLAGS)) -fsyntax-only $(SYNTAX_USRCS))

# ---- user space ---------------------------------------------------------------
#
# libc = common/libc + common/lib + labK/libc; programs = common/user/*.c +
# labK/user/*.c. In lab 2 there are no files yet, so every program is linked
# into the bootstrap image with its main renamed, and bootstrap picks one by
# name (lab2-contexts/user/bootstrap.c).

USERDIRS := $(TOP)/common/user $(addsuffix /user,$(LABDIRS))
LIBCDIRS := $(TOP)/common/libc $(TOP)/common/lib $(addsuffix /libc,$(LABDIRS))
LIBC_SRCS := $(filter-out $(RETIRED),\
	$(foreach d,$(LIBCDIRS),$(wildcard $(d)/*.c $(d)/*.asm)))
LIBC_OBJS := $(patsubst $(TOP)/%,$(B)/uobj/%.o,$(LIBC_SRCS))
USER_SRCS := $(filter-out $(RETIRED),$(foreach d,$(USERDIRS),$(wildcard $(d)/*.c)))
BOOTSTRAP_SRC := $(lastword $(filter %/bootstrap.c,$(USER_SRCS)))
PROG_SRCS := $(filter-out %/bootstrap.c,$(USER_SRCS))
PROG_NAMES := $(basename $(notdir $(PROG_SRCS)))

UCFLAGS := -std=gnu11 -O2 -g $(WARNINGS) -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-I$(TOP)/common/libc/include -I$(TOP)/common/include -I$(TOP)/common/user \
	-fno-stack-protector -fno-pic -fno-pie -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-ffunction-sections -fdata-sections \
	-fmacro-prefix-map=$(TOP)/= -MMD -MP $(EXTRA_CFLAGS)

$(B)/uobj/%.c.o: $(TOP)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $*.c (user)"
	$(Q)$(CCACHE) $(CC) $(UCFLAGS) -c $< -o $@

$(B)/uobj/%.asm.o: $(TOP)/%.asm
	@mkdir -p $(dir $@)
	@echo "  NASM  $*.asm (user)"
	$(Q)$(NASM) -f elf64 -g -F dwarf -MD $(@:.o=.d) -MP $< -o $@

# Files in a lab's user/bootstrap/ are linked into bootstrap only (lab 5's
# initfs daemon: nothing could load it from a file before initfs is served).
BOOTSTRAP_PARTS := $(filter-out $(RETIRED),\
	$(foreach d,$(USERDIRS),$(wildcard $(d)/bootstrap/*.c)))
BOOTSTRAP_OBJ := $(patsubst $(TOP)/%,$(B)/uobj/%.o,$(BOOTSTRAP_SRC) $(BOOTSTRAP_PARTS))
ULDFLAGS := -nostdlib -z noexecstack -z max-page-size=4096 --no-warn-rwx-segments --gc-sections
ULIBC := $(filter %crt0.asm.o,$(LIBC_OBJS)) --start-group \
	$(filter-out %crt0.asm.o,$(LIBC_OBJS)) --end-group

# The program list as a file that changes only when the list does: what is
# generated from the list (progs.c, the initfs image) depends on it, so
# removing a program rebuilds them.
$(B)/programs.list: FORCE
	@mkdir -p $(dir $@)
	$(Q)echo '$(PROG_NAMES)' | cmp -s - $@ || echo '$(PROG_NAMES)' > $@
FORCE:

ifeq ($(USER_MODE),bundle)
# Bundled programs: main renamed to __prog_<name>; one rule per program, so
# each object depends on its own source (and, through its .d file, on the
# headers that source includes).
define bundle_rule
$(B)/uobj/bundle/$(basename $(notdir $(1))).o: $(1)
	@mkdir -p $$(dir $$@)
	@echo "  CC    $(patsubst $(TOP)/%,%,$(1)) (bundled)"
	$(Q)$(CCACHE) $(CC) $(UCFLAGS) -Dmain=__prog_$(basename $(notdir $(1))) -c $(1) -o $$@
endef
$(foreach p,$(PROG_SRCS),$(eval $(call bundle_rule,$(p))))
PROG_DEPS := $(patsubst %,$(B)/uobj/bundle/%.d,$(PROG_NAMES))

$(B)/uobj/progs.c: $(B)/programs.list
	@mkdir -p $(dir $@)
	$(Q){ echo '/* Generated by common/mk/lab.mk: the bundled programs. */'; \
	  echo 'struct prog { const char *name; int (*main)(int, char **, char **); };'; \
	  $(foreach n,$(PROG_NAMES),echo 'int __prog_$(n)(int, char **, char **);';) \
	  echo 'extern const struct prog ochre_progs[];'; \
	  echo 'const struct prog ochre_progs[] = {'; \
	  $(foreach n,$(PROG_NAMES),echo '	{ "$(n)", __prog_$(n) },';) \
	  echo '	{ 0, 0 }'; echo '};'; } > $@

$(B)/uobj/progs.o: $(B)/uobj/progs.c
	$(Q)$(CCACHE) $(CC) $(UCFLAGS) -c $< -o $@

BOOTSTRAP_EXTRA := $(patsubst %,$(B)/uobj/bundle/%.o,$(PROG_NAMES)) $(B)/uobj/progs.o
else
# Separate programs: each an ELF file in the initfs image under /bin.
BOOTSTRAP_EXTRA :=
PROG_DEPS := $(patsubst $(TOP)/%,$(B)/uobj/%.d,$(PROG_SRCS))
define prog_rule
$(B)/prog/$(basename $(notdir $(1))): $(patsubst $(TOP)/%,$(B)/uobj/%.o,$(1)) $(LIBC_OBJS) $(TOP)/common/user/user.ld
	@mkdir -p $$(dir $$@)
	$(Q)$(LD) $(ULDFLAGS) -T $(TOP)/common/user/user.ld -o $$@ \
		$(patsubst $(TOP)/%,$(B)/uobj/%.o,$(1)) $(ULIBC)
endef
$(foreach p,$(PROG_SRCS),$(eval $(call prog_rule,$(p))))

$(B)/tools/mkinitfs: $(TOP)/common/tools/mkinitfs.c $(TOP)/common/lib/initfs.c \
		$(TOP)/common/lib/initfs.h $(TOP)/common/include/ochre/initfs.h
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -O2 -Wall -Wextra -Werror -I$(TOP)/common/include \
		-o $@ $(TOP)/common/tools/mkinitfs.c $(TOP)/common/lib/initfs.c

# The image is packed from a staging directory made afresh from the program
# list (without debug information; gdb reads build/labN/prog/), so a program
# removed from user/ is gone from the image too. A lab may add fixtures
# (labN-x/initfs/: lab 5's symlinks), copied as they are, symlinks included.
PROG_FILES := $(addprefix $(B)/prog/,$(PROG_NAMES))
INITFS_TREES := $(wildcard $(addsuffix /initfs,$(LABDIRS)))
# (make follows symlinks when it compares times: the links are left out)
INITFS_TREE_FILES := $(if $(INITFS_TREES),$(shell find $(INITFS_TREES) -not -type l))
$(B)/initfs.img: $(PROG_FILES) $(B)/programs.list $(INITFS_TREE_FILES) $(B)/tools/mkinitfs
	@echo "  INITFS $(words $(PROG_FILES)) programs"
	$(Q)rm -rf $(B)/initfs && mkdir -p $(B)/initfs/bin
	$(Q)$(foreach f,$(PROG_FILES),objcopy --strip-debug $(f) $(B)/initfs/bin/$(notdir $(f)) &&) true
	$(Q)$(foreach t,$(INITFS_TREES),cp -a $(t)/. $(B)/initfs/ &&) true
	$(Q)$(B)/tools/mkinitfs -o $@ $(B)/initfs

MODULES += $(B)/initfs.img:initfs
endif

$(B)/bootstrap.elf: $(BOOTSTRAP_OBJ) $(BOOTSTRAP_EXTRA) $(LIBC_OBJS) $(TOP)/common/user/bootstrap.ld
	@echo "  LD    bootstrap.elf"
	$(Q)$(LD) $(ULDFLAGS) -T $(TOP)/common/user/bootstrap.ld -o $@ \
		$(filter %crt0.asm.o,$(LIBC_OBJS)) $(BOOTSTRAP_OBJ) $(BOOTSTRAP_EXTRA) \
		--start-group $(filter-out %crt0.asm.o,$(LIBC_OBJS)) --end-group

$(B)/bootstrap.bin: $(B)/bootstrap.elf
	$(Q)objcopy -O binary $< $@

ifneq ($(BOOTSTRAP_SRC),)
MODULES += $(B)/bootstrap.bin:bootstrap
endif

# The GRUB menu: the kernel, plus the boot modules later labs add (MODULES
# holds "path name" pairs as path:name words).
MODULES ?=
$(B)/iso/boot/grub/grub.cfg: $(lastword $(LABDIRS))/Makefile $(TOP)/common/mk/lab.mk
	@mkdir -p $(dir $@)
	$(Q){ echo 'set timeout=0'; echo 'set default=0'; \
	  echo 'menuentry "Ochre $(LABNAME)" {'; \
	  echo '  multiboot2 /boot/kernel.elf'; \
	  $(foreach m,$(MODULES),echo '  module2 /boot/$(word 2,$(subst :, ,$(m))) $(word 2,$(subst :, ,$(m)))';) \
	  echo '  boot'; echo '}'; } > $@

# Direct boot (the grader, BOOT=direct): QEMU's -kernel passes one module,
# so the same modules, in the same order, go into one container that the
# kernel unpacks (common/mk/bootmods.py, common/kernel/pvh.c). A lab without
# modules gets an empty container: every direct boot looks the same.
$(BOOTMODS): $(foreach m,$(MODULES),$(firstword $(subst :, ,$(m)))) \
		$(TOP)/common/mk/bootmods.py $(lastword $(LABDIRS))/Makefile $(TOP)/common/mk/lab.mk
	@mkdir -p $(dir $@)
	$(Q)$(PYTHON) $(TOP)/common/mk/bootmods.py -o $@ $(MODULES)

$(ISO): $(KERNEL) $(B)/iso/boot/grub/grub.cfg $(foreach m,$(MODULES),$(firstword $(subst :, ,$(m))))
	@echo "  ISO   $(patsubst $(TOP)/%,%,$@)"
	$(Q)cp $(KERNEL) $(B)/iso/boot/kernel.elf
	$(Q)$(foreach m,$(MODULES),cp $(firstword $(subst :, ,$(m))) $(B)/iso/boot/$(word 2,$(subst :, ,$(m)));)
	$(Q)grub-mkrescue -o $@ $(B)/iso 2> $(B)/grub-mkrescue.log || \
		{ cat $(B)/grub-mkrescue.log; exit 1; }

# ---- running -----------------------------------------------------------------

# common/mk/qemu.py builds the QEMU command line for every target here and
# for the grader (one implementation): common/mk/qemu-args, the kernel
# command line from CMDLINE (exported, so no shell quoting gets in between),
# and the grader's -icount. BOOT=grub (the default) boots the ISO through
# GRUB; BOOT=direct boots kernel.elf and modules.img without firmware
# menus or GRUB, as the grader does. QEMU_ISO, or QEMU_KERNEL and
# QEMU_MODULES, boot another build (the grader's reproduce command uses
# them after grading with --build-root); then nothing is built.
CMDLINE ?=
export CMDLINE
BOOT ?= grub
QEMU_ISO ?= $(ISO)
QEMU_KERNEL ?= $(KERNEL)
QEMU_MODULES ?= $(BOOTMODS)
ifeq ($(BOOT),grub)
QEMU_IMAGE := --iso $(QEMU_ISO)
BOOT_DEPS := $(if $(filter $(abspath $(QEMU_ISO)),$(ISO)),$(ISO))
else ifeq ($(BOOT),direct)
QEMU_IMAGE := --kernel $(QEMU_KERNEL) --modules $(QEMU_MODULES)
BOOT_DEPS := $(if $(filter $(abspath $(QEMU_KERNEL)),$(KERNEL)),$(KERNEL)) \
	$(if $(filter $(abspath $(QEMU_MODULES)),$(BOOTMODS)),$(BOOTMODS))
else
$(error BOOT=$(BOOT): say BOOT=grub (the ISO, the default) or BOOT=direct (kernel.elf))
endif
QEMU_SCRIPT = $(PYTHON) $(TOP)/common/mk/qemu.py $(QEMU_IMAGE) \
	--build-hint 'make -C $(LABNAME)'
GDBPORT ?= 1234

qemu: $(BOOT_DEPS)
	@echo "Booting $(LABNAME). Ctrl-A X quits QEMU."
	@$(QEMU_SCRIPT) --interactive

qemu-gdb: $(BOOT_DEPS) $(B)/gdbinit
	@echo "QEMU waits for gdb on port $(GDBPORT); in another terminal: make -C $(LABNAME) gdb"
	@$(QEMU_SCRIPT) --interactive --gdb $(GDBPORT)

# Written every time: GDBPORT may differ from the last run.
$(B)/gdbinit: $(TOP)/common/mk/gdbinit FORCE
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|{kernel}|$(KERNEL)|' -e 's|{port}|$(GDBPORT)|' $< > $@

gdb: $(B)/gdbinit
	$(shell command -v gdb-multiarch || echo gdb) -q -x $(B)/gdbinit

# Replaying a boot the grader recorded (make grade GRADE_ARGS='--record ...'):
# the same instructions again, so the same serial output; replay-gdb stops it
# for gdb, which can step backwards (reverse-stepi, reverse-continue). TEST is
# the test's log name (test_pagefault); GRADE_DIR where the grader left it.
TEST ?=
GRADE_DIR ?= $(TOP)/build/grade/lab$(LAB)
replay:
	@cd '$(GRADE_FROM)' && $(PYTHON) $(TOP)/common/mk/replay.py '$(GRADE_DIR)' '$(TEST)'

replay-gdb:
	@cd '$(GRADE_FROM)' && $(PYTHON) $(TOP)/common/mk/replay.py --gdb '$(GRADE_DIR)' '$(TEST)'

# Benchmarks (labs with a user-space `bench` program): with -icount shift=0
# the guest TSC counts instructions, so the figures are reproducible.
# BENCH=prog runs another benchmark program (lab 5: canonbench).
BENCH ?= bench
bench: $(BOOT_DEPS)
	@echo "Running init=$(BENCH) on $(LABNAME) under -icount shift=0 ..."
	$(Q)timeout 300 $(QEMU_SCRIPT) --icount shift=0,sleep=off --cmdline 'init=$(BENCH) quiet' \
		> $(B)/bench.log 2>&1; grep '^bench' $(B)/bench.log || \
		{ echo "no bench output; see $(B)/bench.log"; exit 1; }
	$(Q)$(MAKE) --no-print-directory bootbench

# Boot time in host seconds (what a student waits for): one graded boot of
# this lab's kernel through the GRUB ISO and directly, side by side in one
# run (common/mk/bootbench.py; BOOTBENCH_ROUNDS boots each way).
BOOTBENCH_ROUNDS ?= 10
bootbench: $(ISO) $(BOOTMODS)
	$(Q)$(PYTHON) $(TOP)/common/mk/bootbench.py --iso $(ISO) --kernel $(KERNEL) \
		--modules $(BOOTMODS) --rounds $(BOOTBENCH_ROUNDS)

# The system-call profiler (docs/bench.md): this lab's kernel with
# -DOCHRE_PROF in build/labN-prof (a normal build has no profiler), then
# lab 3's sysprof program, which prints each benchmark operation's trace.
# Only the kernel files the macro changes are compiled again (PROF_OF
# above); the other objects and the boot modules (no user code names the
# macro) are the normal build's, which is brought up to date first.
profile: $(KERNEL) $(BOOTMODS)
	$(Q)$(MAKE) --no-print-directory B=$(B)-prof EXTRA_CFLAGS=-DOCHRE_PROF PROF_OF=$(B) \
		$(B)-prof/kernel.elf
	@echo "Running init=sysprof on $(LABNAME) (-DOCHRE_PROF) under -icount shift=0 ..."
	$(Q)timeout 300 $(PYTHON) $(TOP)/common/mk/qemu.py --kernel $(B)-prof/kernel.elf \
		--modules $(BOOTMODS) \
		--build-hint 'make -C $(LABNAME) profile' --icount shift=0,sleep=off \
		--cmdline 'init=sysprof quiet' > $(B)-prof/profile.log 2>&1; \
		grep '^prof' $(B)-prof/profile.log || \
		{ echo "no profile output; see $(B)-prof/profile.log"; exit 1; }

# The grader runs in the directory the student typed `make grade` in (PWD:
# make -C does not change it; the top Makefile passes its own), so the log
# paths and reproduce commands it prints work there.
GRADE_FROM ?= $(or $(realpath $(PWD)),$(CURDIR))
grade: $(ISO) $(BOOTMODS)
	$(Q)cd '$(GRADE_FROM)' && $(PYTHON) -m pytest $(TOP)/grader --lab $(LAB) -n auto $(GRADE_ARGS)

# The archive a student hands in (grader/submit.py): this lab's files only.
submit:
	@$(PYTHON) $(TOP)/grader/submit.py --lab $(LAB)

clean:
	rm -rf $(B)

# make print-VAR: the value of a make variable (tests and tools read the
# build's own settings this way).
print-%:
	@echo '$($*)'

# For editors (clangd): the compile commands of this lab's kernel.
compile_commands.json:
	$(Q)$(PYTHON) $(TOP)/common/mk/compile_commands.py $(TOP)/compile_commands.json \
		"$(CC) $(KCFLAGS)" $(filter %.c,$(KSRCS))

-include $(KOBJS:.o=.d) $(LIBC_OBJS:.o=.d) $(BOOTSTRAP_OBJ:.o=.d) $(PROG_DEPS)

endif # OCHRE_LAB_MK
