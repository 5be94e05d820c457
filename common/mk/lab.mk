# The one build recipe. A lab's Makefile sets LAB (its number), optionally
# RETIRES (files of earlier labs this lab replaces), and includes this file.
#
#   make            build build/labN/ochre.iso
#   make qemu       boot it interactively (CMDLINE='ktest=all' to choose)
#   make qemu-gdb   boot it stopped, waiting for gdb (then: make gdb)
#   make grade      run the grader for labs 1..N on this lab's kernel
#   make clean      remove build/labN
#
# Lab N's kernel is built from common/ plus the kernel/ directories of labs
# 1..N, minus every file named in a RETIRES line of those labs' Makefiles.

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
LAB ?= $(error set LAB in the lab Makefile)

# Labs 1..N, found by name (lab1-paging, lab2-contexts, ...).
LABDIRS := $(foreach n,$(shell seq 1 $(LAB)),$(wildcard $(TOP)/lab$(n)-*))
LABNAME := $(notdir $(lastword $(LABDIRS)))
B := $(TOP)/build/lab$(LAB)
ISO := $(B)/ochre.iso
KERNEL := $(B)/kernel.elf

# Retired files: "RETIRES := a b" or "RETIRES += c" lines, paths from TOP.
RETIRED := $(addprefix $(TOP)/,$(foreach d,$(LABDIRS),\
	$(shell sed -n 's/^RETIRES *[:+]*= *//p' $(d)/Makefile)))
# How user programs are packaged: "bundle" (lab 2: all linked into the
# bootstrap image) until a lab says "USER_MODE := elf" (lab 3: separate ELF
# files in the initfs image). The last lab that says something wins.
USER_MODE := $(lastword bundle $(foreach d,$(LABDIRS),\
	$(shell sed -n 's/^USER_MODE *:*= *//p' $(d)/Makefile)))

# ---- tools -------------------------------------------------------------------

CC ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
HOSTCC ?= cc
LD := ld
NASM := nasm
PYTHON := $(shell $(TOP)/common/mk/find-python)
Q := $(if $(V),,@)

# ---- sources -----------------------------------------------------------------

KSRCDIRS := $(TOP)/common/boot $(TOP)/common/kernel $(TOP)/common/lib \
	$(addsuffix /kernel,$(LABDIRS))
KSRCS := $(filter-out $(RETIRED),\
	$(foreach d,$(KSRCDIRS),$(wildcard $(d)/*.c $(d)/*.asm)))
KOBJS := $(patsubst $(TOP)/%,$(B)/obj/%.o,$(KSRCS))

KINCLUDES := -I$(TOP)/common/kernel -I$(TOP)/common/include -I$(TOP)/common/lib \
	$(addprefix -I,$(addsuffix /kernel,$(LABDIRS)))

WARNINGS := -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes \
	-Wshadow -Wvla
KCFLAGS := -std=gnu11 -O2 -g $(WARNINGS) \
	-ffreestanding -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) \
	-fno-stack-protector -fno-pic -fno-pie -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-strict-aliasing \
	-mno-red-zone -mcmodel=kernel -mno-sse -mno-sse2 -mno-mmx -mno-80387 \
	-fmacro-prefix-map=$(TOP)/= -MMD -MP $(KINCLUDES) -DOCHRE_LAB=$(LAB) -DOCHRE_LAB_NAME='"$(LABNAME)"' \
	$(EXTRA_CFLAGS)
KLDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments

# ---- rules -------------------------------------------------------------------

.PHONY: all qemu qemu-gdb gdb grade bench clean compile_commands.json
.DEFAULT_GOAL := all
all: $(ISO)

$(B)/obj/%.c.o: $(TOP)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $*.c"
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(B)/obj/%.asm.o: $(TOP)/%.asm
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
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(B)/kernel.pass1.elf: $(KOBJS) $(B)/ksyms-empty.o $(LDSCRIPT)
	$(Q)$(LD) $(KLDFLAGS) -T $(LDSCRIPT) -o $@ $(KOBJS) $(B)/ksyms-empty.o

$(KERNEL): $(B)/kernel.pass1.elf $(B)/ksyms.o
	@echo "  LD    $(notdir $@)"
	$(Q)$(LD) $(KLDFLAGS) -T $(LDSCRIPT) -o $@ $(KOBJS) $(B)/ksyms.o
	$(Q)nm -n $@ > $(B)/kernel.sym
	$(Q)if ! cmp -s <(nm -n $< | grep -i ' t ') <(grep -i ' t ' $(B)/kernel.sym); then \
		echo "error: text symbols moved between links (see lab.mk)"; exit 1; fi

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
	-fmacro-prefix-map=$(TOP)/= -MMD -MP $(EXTRA_CFLAGS)

$(B)/uobj/%.c.o: $(TOP)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC    $*.c (user)"
	$(Q)$(CC) $(UCFLAGS) -c $< -o $@

$(B)/uobj/%.asm.o: $(TOP)/%.asm
	@mkdir -p $(dir $@)
	@echo "  NASM  $*.asm (user)"
	$(Q)$(NASM) -f elf64 -g -F dwarf -MD $(@:.o=.d) -MP $< -o $@

BOOTSTRAP_OBJ := $(patsubst $(TOP)/%,$(B)/uobj/%.o,$(BOOTSTRAP_SRC))
ULDFLAGS := -nostdlib -z noexecstack -z max-page-size=4096 --no-warn-rwx-segments
ULIBC := $(filter %crt0.asm.o,$(LIBC_OBJS)) --start-group \
	$(filter-out %crt0.asm.o,$(LIBC_OBJS)) --end-group

ifeq ($(USER_MODE),bundle)
# Bundled programs: main renamed to __prog_<name>.
$(B)/uobj/bundle/%.o: $(filter %.c,$(PROG_SRCS))
	@mkdir -p $(dir $@)
	@echo "  CC    $(filter %/$*.c,$(PROG_SRCS)) (bundled)"
	$(Q)$(CC) $(UCFLAGS) -Dmain=__prog_$* -c $(filter %/$*.c,$(PROG_SRCS)) -o $@

$(B)/uobj/progs.c: $(lastword $(LABDIRS))/Makefile $(TOP)/common/mk/lab.mk \
		$(wildcard $(USERDIRS))
	@mkdir -p $(dir $@)
	$(Q){ echo '/* Generated by common/mk/lab.mk: the bundled programs. */'; \
	  echo 'struct prog { const char *name; int (*main)(int, char **, char **); };'; \
	  $(foreach n,$(PROG_NAMES),echo 'int __prog_$(n)(int, char **, char **);';) \
	  echo 'extern const struct prog ochre_progs[];'; \
	  echo 'const struct prog ochre_progs[] = {'; \
	  $(foreach n,$(PROG_NAMES),echo '	{ "$(n)", __prog_$(n) },';) \
	  echo '	{ 0, 0 }'; echo '};'; } > $@

$(B)/uobj/progs.o: $(B)/uobj/progs.c
	$(Q)$(CC) $(UCFLAGS) -c $< -o $@

BOOTSTRAP_EXTRA := $(patsubst %,$(B)/uobj/bundle/%.o,$(PROG_NAMES)) $(B)/uobj/progs.o
else
# Separate programs: each an ELF file in the initfs image under /bin.
BOOTSTRAP_EXTRA :=
define prog_rule
$(B)/prog/$(basename $(notdir $(1))): $(patsubst $(TOP)/%,$(B)/uobj/%.o,$(1)) $(LIBC_OBJS) $(TOP)/common/user/user.ld
	@mkdir -p $$(dir $$@)
	$(Q)$(LD) $(ULDFLAGS) -T $(TOP)/common/user/user.ld -o $$@ \
		$(patsubst $(TOP)/%,$(B)/uobj/%.o,$(1)) $(ULIBC)
endef
$(foreach p,$(PROG_SRCS),$(eval $(call prog_rule,$(p))))

# initfs holds the programs without debug information (gdb reads build/labN/prog/).
$(B)/initfs/bin/%: $(B)/prog/%
	@mkdir -p $(dir $@)
	$(Q)objcopy --strip-debug $< $@

$(B)/tools/mkinitfs: $(TOP)/common/tools/mkinitfs.c $(TOP)/common/lib/initfs.c \
		$(TOP)/common/lib/initfs.h $(TOP)/common/include/ochre/initfs.h
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -O2 -Wall -Wextra -Werror -I$(TOP)/common/include \
		-o $@ $(TOP)/common/tools/mkinitfs.c $(TOP)/common/lib/initfs.c

INITFS_FILES := $(addprefix $(B)/initfs/bin/,$(PROG_NAMES))
$(B)/initfs.img: $(INITFS_FILES) $(B)/tools/mkinitfs
	@echo "  INITFS $(words $(INITFS_FILES)) programs"
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

$(ISO): $(KERNEL) $(B)/iso/boot/grub/grub.cfg $(foreach m,$(MODULES),$(firstword $(subst :, ,$(m))))
	@echo "  ISO   $(patsubst $(TOP)/%,%,$@)"
	$(Q)cp $(KERNEL) $(B)/iso/boot/kernel.elf
	$(Q)$(foreach m,$(MODULES),cp $(firstword $(subst :, ,$(m))) $(B)/iso/boot/$(word 2,$(subst :, ,$(m)));)
	$(Q)grub-mkrescue -o $@ $(B)/iso 2> $(B)/grub-mkrescue.log || \
		{ cat $(B)/grub-mkrescue.log; exit 1; }

# ---- running -----------------------------------------------------------------

QEMU := qemu-system-x86_64
QEMU_ARGS := $(shell sed -e '/^\#/d' -e 's|{iso}|$(ISO)|' $(TOP)/common/mk/qemu-args)
QEMU_INTERACTIVE := $(subst -serial stdio,-serial mon:stdio,$(subst -monitor none,,$(QEMU_ARGS)))
CMDLINE ?=
FWCFG := $(if $(CMDLINE),-fw_cfg 'name=opt/ochre/cmdline,string=$(CMDLINE)')
GDBPORT ?= 1234

qemu: $(ISO)
	@echo "Booting $(LABNAME). Ctrl-A X quits QEMU."
	$(QEMU) $(QEMU_INTERACTIVE) $(FWCFG)

qemu-gdb: $(ISO) $(B)/gdbinit
	@echo "QEMU waits for gdb on port $(GDBPORT); in another terminal: make -C $(LABNAME) gdb"
	$(QEMU) $(QEMU_INTERACTIVE) $(FWCFG) -S -gdb tcp::$(GDBPORT)

$(B)/gdbinit: $(TOP)/common/mk/gdbinit
	$(Q)sed -e 's|{kernel}|$(KERNEL)|' -e 's|{port}|$(GDBPORT)|' $< > $@

gdb: $(B)/gdbinit
	$(shell command -v gdb-multiarch || echo gdb) -q -x $(B)/gdbinit

# Benchmarks (labs with a user-space `bench` program): with -icount shift=0
# the guest TSC counts instructions, so the figures are reproducible.
# BENCH=prog runs another benchmark program (lab 5: canonbench).
BENCH ?= bench
bench: $(ISO)
	@echo "Running init=$(BENCH) on $(LABNAME) under -icount shift=0 ..."
	$(Q)timeout 300 $(QEMU) $(QEMU_ARGS) -icount shift=0,sleep=off \
		-fw_cfg 'name=opt/ochre/cmdline,string=init=$(BENCH) quiet' \
		> $(B)/bench.log 2>&1; grep '^bench' $(B)/bench.log || \
		{ echo "no bench output; see $(B)/bench.log"; exit 1; }

grade: $(ISO)
	$(Q)cd $(TOP) && $(PYTHON) -m pytest grader --lab $(LAB) -n auto $(GRADE_ARGS)

clean:
	rm -rf $(B)

# For editors (clangd): the compile commands of this lab's kernel.
compile_commands.json:
	$(Q)$(PYTHON) $(TOP)/common/mk/compile_commands.py $(TOP)/compile_commands.json \
		"$(CC) $(KCFLAGS)" $(filter %.c,$(KSRCS))

-include $(KOBJS:.o=.d) $(LIBC_OBJS:.o=.d) $(BOOTSTRAP_OBJ:.o=.d) \
	$(patsubst $(TOP)/%,$(B)/uobj/%.d,$(PROG_SRCS))
