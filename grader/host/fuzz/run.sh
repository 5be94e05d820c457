#!/bin/sh
# Fuzz one of Ochre's parsers for a while (see docs/fuzzing.md).
#
#   grader/host/fuzz/run.sh elf|initfs [SECONDS] [extra engine arguments]
#
# Uses libFuzzer (clang -fsanitize=fuzzer, coverage-guided) when clang has
# it, else the standalone engine fuzz_main.c (random mutations, any C
# compiler with ASan/UBSan). FUZZ_ENGINE=libfuzzer|standalone forces one.
# Both run under ASan and UBSan. Outputs go to build/fuzz/:
#   build/fuzz/fuzz_TARGET-ENGINE        the binary
#   build/fuzz/corpus-TARGET/            libFuzzer's working corpus (seeded
#                                        from grader/host/corpus/TARGET/)
#   build/fuzz/TARGET-crash-*            crashing inputs (libFuzzer), or
#   build/fuzz/crash-SEED-RUN            (standalone), if any
# Exit status 0: no crash in SECONDS (default 60).
set -eu

target=${1:-}
seconds=${2:-60}
case $target in
elf|initfs) ;;
*) echo "usage: $0 elf|initfs [SECONDS] [engine arguments]" >&2; exit 2 ;;
esac
[ $# -ge 2 ] && shift 2 || shift $#

top=$(cd "$(dirname "$0")/../../.." && pwd)
fuzz=$top/grader/host/fuzz
seeds=$top/grader/host/corpus/$target
out=$top/build/fuzz
mkdir -p "$out"
srcs="$fuzz/fuzz_$target.c $top/common/lib/$target.c"
flags="-std=gnu11 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -I$top/common/include"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

engine=${FUZZ_ENGINE:-}
if [ -z "$engine" ]; then
	# Does this clang link libFuzzer? (Debian: part of the clang package.)
	probe=$out/probe-$$
	printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe.c"
	if clang -fsanitize=fuzzer "$probe.c" -o "$probe" 2>/dev/null; then
		engine=libfuzzer
	else
		engine=standalone
	fi
	rm -f "$probe" "$probe.c"
fi

bin=$out/fuzz_$target-$engine
case $engine in
libfuzzer)
	# shellcheck disable=SC2086
	clang $flags -fsanitize=fuzzer,address,undefined $srcs -o "$bin"
	mkdir -p "$out/corpus-$target"
	echo "run.sh: libFuzzer on $target for $seconds s (working corpus build/fuzz/corpus-$target)"
	# New inputs go to the first directory; the kept seeds are only read.
	exec "$bin" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$out/$target-" "$@" "$out/corpus-$target" "$seeds"
	;;
standalone)
	cc=${CC:-cc}
	# shellcheck disable=SC2086
	$cc $flags -fsanitize=address,undefined "$fuzz/fuzz_main.c" $srcs -o "$bin"
	echo "run.sh: standalone engine on $target for $seconds s"
	exec "$bin" -t "$seconds" -s "${FUZZ_SEED:-$(date +%s)}" -o "$out" "$@" "$seeds"
	;;
*)
	echo "run.sh: FUZZ_ENGINE must be libfuzzer or standalone" >&2
	exit 2
	;;
esac
