#!/usr/bin/env bash
# Every test: installs what is missing, builds with AddressSanitizer and
# UndefinedBehaviorSanitizer, runs the whole ctest suite (unit, diagnostics,
# BPF_PROG_TEST_RUN, end-to-end with namespaces, samples, fuzzing for a
# bounded time).  Arguments go to ctest, e.g. "-L unit" for the quick tier.
#
#   sudo scripts/test.sh            (root: the BPF and end-to-end tiers need it)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/setup.sh

build=${BUILD_DIR:-build-test}
cmake -S . -B "$build" -DPOLC_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
make -C "$build" -j"$(nproc)" --no-print-directory >/dev/null
test -x "$build/polc" && test -x "$build/polctl"

cd "$build"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec ctest --output-on-failure -j"$(nproc)" "$@"
