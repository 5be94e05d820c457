#!/bin/bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (grader/gradescope.py puts it at the top of the zip). Ochre's own
# dependency script installs the Debian packages the build and the grader
# need (make, gcc, nasm, QEMU, GRUB, pytest ...), the same as `make deps`.
# AUTOGRADER_ROOT replaces /autograder (the tests run it in a directory).
set -eu
cd "${AUTOGRADER_ROOT:-/autograder}/source/ochre"
# Scripts keep their execute bits only if the unzip did; make sure.
grep -rlI --exclude-dir=.git '^#!' . | xargs -r chmod +x
bash common/mk/deps.sh
