#!/bin/sh
# Installs the Debian packages Ochre needs, if any is missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
# Costs a few milliseconds when everything is present.
#
#   deps.sh            what a student needs: build, boot, grade, debug, replay
#   deps.sh --course   also what only the course's own tests use (make test):
#                      a browser for the HTML report, JSON Schema, Slurm,
#                      clang (make test builds every lab with it too)
set -u
course=no
[ "${1:-}" = "--course" ] && course=yes

missing=""
need() {	# need PACKAGE TEST-COMMAND...
	pkg=$1
	shift
	"$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
have() { command -v "$1"; }
# A Python module is there if Debian's python3 finds it. find_spec does not
# import it: importing pytest costs 0.2 s of CPU, and every make runs this.
module() { /usr/bin/python3 -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$1') is None)"; }

need make			have make
need gcc			have gcc
need binutils			have ld
need libc6-dev			test -e /usr/include/stdio.h
need nasm			have nasm
need qemu-system-x86		have qemu-system-x86_64
need grub-common		have grub-mkrescue
need grub-pc-bin		test -d /usr/lib/grub/i386-pc
need xorriso			have xorriso
need mtools			have mformat
need git			have git
need gdb-multiarch		have gdb-multiarch
need ccache			have ccache		# lab N reuses the compiles of labs before it
need qemu-utils			have qemu-img		# --record: the replay snapshot image
need python3			test -x /usr/bin/python3
need python3-pytest		module pytest
need python3-pytest-xdist	module xdist
need python3-pytest-timeout	module pytest_timeout
if [ $course = yes ]; then
	need chromium		have chromium	# the HTML report renders
	need python3-jsonschema	module jsonschema
	# grader/batch.sbatch runs on Slurm; its test starts a one-node Slurm.
	need slurm-wlm		have slurmd
	need slurm-client	have sbatch
	need munge		have munged
	# make test builds every lab with clang too (zero warnings under both).
	need clang		have clang
fi

[ -z "$missing" ] && exit 0

echo "Ochre needs these Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "Run:  sudo apt-get update && sudo apt-get install -y$missing"
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || { echo "apt-get update failed"; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	{ echo "apt-get install failed"; exit 1; }
echo "Installed:$missing"
