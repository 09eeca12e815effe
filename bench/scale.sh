#!/usr/bin/env bash
# Scale benchmark: polc compile time and peak memory per rule count,
# polctl apply time, and live set updates (1,000 elements) on sets of
# 1k/100k/1M prefixes.  Per-packet costs are bench/run.sh's.
#
#   sudo bench/scale.sh [--quick]
#
# Builds in build-bench/ without sanitizers; creates one throwaway network
# namespace pair and removes it on exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/setup.sh >/dev/null
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOLC_TESTS=OFF >/dev/null
make -C build-bench -j"$(nproc)" polc polctl polc-bench >/dev/null

sizes="1 10 100 1000 10000 100000"
sets="1000 100000 1000000"
if [[ ${1:-} == --quick ]]; then
    sizes="10 1000 10000"
    sets="1000 100000"
fi

polc=$top/build-bench/polc
polctl=$top/build-bench/polctl
gen=$top/build-bench/bench/polc-bench
work=$(mktemp -d /tmp/polc-scale.XXXXXX)
tag=$$
ns=polc-scale-$tag
root=/sys/fs/bpf/polc-scale-$tag
cleanup() {
    set +e
    "$polctl" --root "$root" detach --all >/dev/null 2>&1
    rmdir "$root" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    ip netns del "$ns-peer" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip netns add "$ns-peer"
ip link add vs netns "$ns" type veth peer name vp netns "$ns-peer"
ip -n "$ns" link set vs up
ip -n "$ns-peer" link set vp up

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(uname -r), $(nproc) CPUs"
echo
echo "| rules | plan | polc compile (s) | polc peak (MiB) | artifact (MiB) | polctl apply (s) |"
echo "|---|---|---|---|---|---|"
for n in $sizes; do
    "$gen" --write-policy "$work/p.pol" --sizes "$n"
    out=$( { /usr/bin/time -f "TIME %e %M" "$polc" compile "$work/p.pol" -o "$work/p.o" -v; } 2>&1 )
    plan=$(sed -n 's/.*plan \([a-z]*\).*/\1/p' <<<"$out" | head -1)
    read -r t kb < <(sed -n 's/^TIME //p' <<<"$out")
    size=$(stat -c %s "$work/p.o")
    t0=$(now)
    "$polctl" --root "$root" apply "$work/p.o" --dev vs --netns "$ns" 2>/dev/null
    t1=$(now)
    "$polctl" --root "$root" detach gen >/dev/null 2>&1
    printf '| %s | %s | %s | %.0f | %.1f | %s |\n' "$n" "$plan" "$t" "$(awk -v k="$kb" 'BEGIN{print k/1024}')" \
        "$(awk -v s="$size" 'BEGIN{print s/1048576}')" "$(secs "$t0" "$t1")"
done

echo
echo "| set | polc compile (s) | polctl apply (s) | add 1,000 (ms) | del 1,000 (ms) | replace by 1,000 (ms) | trie memory (MiB) |"
echo "|---|---|---|---|---|---|---|"
"$gen" --write-set "$work/change.txt" --sets 1000
for n in $sets; do
    "$gen" --write-set "$work/set.txt" --sets "$n"
    printf 'set blocklist : ipv4 prefix size %d file "set.txt"\npolicy bl {\n    attach xdp\n    default pass\n    drop from @blocklist\n}\n' \
        $((n + 2000)) > "$work/set.pol"
    out=$( { /usr/bin/time -f "TIME %e %M" "$polc" compile "$work/set.pol" -o "$work/set.o"; } 2>&1 )
    read -r t kb < <(sed -n 's/^TIME //p' <<<"$out")
    t0=$(now)
    "$polctl" --root "$root" apply "$work/set.o" --dev vs --netns "$ns" 2>/dev/null
    t1=$(now)
    ms() { sed -n 's/.*, \([0-9.]*\) ms$/\1/p'; }
    add=$("$polctl" --root "$root" set add bl blocklist --file "$work/change.txt" 2>&1 | ms)
    del=$("$polctl" --root "$root" set del bl blocklist --file "$work/change.txt" 2>&1 | ms)
    # the maps as sized: nodes of 1 KiB, bitmaps of 32 B, the first level
    mem=$("$polctl" --root "$root" set list bl blocklist |
          awk 'NR == 1 && match($0, /trie [0-9]+\/[0-9]+ nodes, [0-9]+\/[0-9]+ bitmaps/) {
                   split(substr($0, RSTART, RLENGTH), f, /[ \/]/)
                   printf "%.0f", (f[3] * 1024 + f[6] * 32 + 513 * 1024) / 1048576 }')
    rep=$("$polctl" --root "$root" set replace bl blocklist --file "$work/change.txt" 2>&1 | ms)
    "$polctl" --root "$root" detach bl >/dev/null 2>&1
    printf '| %s prefixes | %s | %s | %s | %s | %s | %s |\n' "$n" "$t" "$(secs "$t0" "$t1")" \
        "$add" "$del" "$rep" "$mem"
done
