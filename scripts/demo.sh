#!/usr/bin/env bash
# The main job, on a built-in default: compile a sample policy, attach it in
# two throwaway network namespaces joined by a veth pair, send real traffic,
# show what passed and what was dropped with per-rule counters, clean up.
#
#   sudo scripts/demo.sh [POLICY.pol]      (default: samples/quickstart.pol)
#
# Installs what is missing and builds first.  Everything it creates (two
# namespaces, a bpffs directory) is removed on exit, also on failure.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
policy=${1:-samples/quickstart.pol}

if [[ $(id -u) -ne 0 ]]; then
    echo "demo: needs root (network namespaces, BPF): run it with sudo" >&2
    exit 1
fi

scripts/setup.sh
build=${BUILD_DIR:-build}
echo "== building in $build"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOLC_TESTS=OFF >/dev/null
make -C "$build" -j"$(nproc)" polc polctl >/dev/null

polc=$top/$build/polc
polctl=$top/$build/polctl
work=$(mktemp -d /tmp/polc-demo.XXXXXX)
tag=$$
srv=polc-demo-srv-$tag
cli=polc-demo-cli-$tag
root=/sys/fs/bpf/polc-demo-$tag
pids=()

cleanup() {
    set +e
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    "$polctl" --root "$root" detach --all >/dev/null 2>&1
    rmdir "$root" 2>/dev/null
    ip netns del "$srv" 2>/dev/null
    ip netns del "$cli" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "== compiling $policy"
"$polc" compile "$policy" -o "$work/policy.o" -v 2>&1 | sed 's/^/   /'

echo "== creating namespaces $cli (client) and $srv (server)"
ip netns add "$srv"
ip netns add "$cli"
ip link add veth-cli netns "$cli" type veth peer name veth-srv netns "$srv"
ip -n "$srv" addr add 192.0.2.10/24 dev veth-srv
ip -n "$srv" addr add 2001:db8::10/64 dev veth-srv nodad
ip -n "$cli" addr add 192.0.2.20/24 dev veth-cli
ip -n "$cli" addr add 2001:db8::20/64 dev veth-cli nodad
for ns in "$srv" "$cli"; do ip -n "$ns" link set lo up; done
ip -n "$srv" link set veth-srv up
ip -n "$cli" link set veth-cli up

# servers on 80 (allowed) and 22 (allowed only from the office, which the
# client is not in); 443 is allowed but nothing listens there
for port in 80 22; do
    ip netns exec "$srv" nc -lk -p "$port" </dev/null >/dev/null 2>&1 &
    pids+=($!)
    ip netns exec "$srv" nc -6 -lk -p "$port" </dev/null >/dev/null 2>&1 &
    pids+=($!)
done
sleep 0.5

echo "== applying the policy to veth-srv (in $srv)"
"$polctl" --root "$root" apply "$work/policy.o" --dev veth-srv --netns "$srv"
"$polctl" --root "$root" status | sed 's/^/   /'

echo "== traffic from the client"
probe_ping() { # family address
    local got
    got=$(ip netns exec "$cli" timeout 10 ping -"$1" -c 3 -i 0.2 -W 1 "$2" 2>/dev/null |
          sed -n 's/.* \([0-9]*\) received.*/\1/p')
    printf '   %-32s %s\n' "ping $2" "$( [[ ${got:-0} -gt 0 ]] && echo "passed ($got/3 replies)" || echo "DROPPED (0/3 replies)")"
}
probe_tcp() { # family address port
    local out rc
    out=$(ip netns exec "$cli" timeout 5 nc -"$1" -z -v -w 2 "$2" "$3" 2>&1) && rc=0 || rc=$?
    if [[ $rc -eq 0 ]]; then
        printf '   %-32s %s\n' "tcp $2 port $3" "passed (connected)"
    elif grep -q refused <<<"$out"; then
        printf '   %-32s %s\n' "tcp $2 port $3" "passed (port closed: the server answered with a reset)"
    else
        printf '   %-32s %s\n' "tcp $2 port $3" "DROPPED (no answer within 2 s)"
    fi
}
probe_ping 4 192.0.2.10
probe_ping 6 2001:db8::10
for port in 80 443 22 23; do probe_tcp 4 192.0.2.10 $port; done
for port in 80 443 22 23; do probe_tcp 6 2001:db8::10 $port; done

echo "== per-rule counters (polctl stats)"
"$polctl" --root "$root" stats | sed 's/^/   /'

echo "== detaching and removing the namespaces"
"$polctl" --root "$root" detach --all
