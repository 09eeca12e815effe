#!/usr/bin/env bash
# Run the benchmarks: per-packet cost of compiled policies next to an
# XDP_PASS program (BPF_PROG_TEST_RUN), and polc compile time.
#
#   sudo bench/run.sh [polc-bench options]     e.g. --sizes 1,10,100,1000
#
# Builds in build-bench/ without sanitizers (RelWithDebInfo).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/setup.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOLC_TESTS=OFF >/dev/null
make -C build-bench -j"$(nproc)" polc polc-bench >/dev/null
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs, $(clang --version | head -1)"
build-bench/bench/polc-bench --samples samples "$@"
