/* The long run of procfuzz (docs/fuzzing.md): 10 million operations. */
#define FUZZ_OPS	10000000UL
#define FUZZ_NAME	"procfuzzlong"
#include "procfuzz.c"
