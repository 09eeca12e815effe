#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# snat: SNAT on tc egress, a gateway with real traffic.  Two private
# clients on a bridge in the gateway reach a server outside, which has no
# route back to the private network: only the translation makes it work.
#
#   p1 10.0.0.2 --\
#                  br0 10.0.0.1  gw  192.0.2.1 --go--vo-- out 192.0.2.2
#   p2 10.0.0.3 --/                                     (tcp 9000, udp 9001)
#
# Checked: TCP, UDP and ping work from the private side and the server sees
# the gateway's address; two clients with the same source port to the same
# server both work, with different translated ports; `polctl ct` shows the
# translation; with a range of two ports the third concurrent flow is
# dropped and counted as NAT exhaustion.
source "$(dirname "$0")/lib.sh"
: "${TCPECHO:?TCPECHO must name the pol-tcpecho binary}"

NS_P1=pn-p1-$tag
NS_P2=pn-p2-$tag
NS_G=pn-gw-$tag
NS_O=pn-out-$tag
GW_OUT=192.0.2.1
SERVER=192.0.2.2

step "topology: p1, p2 -- gw -- out"
for ns in "$NS_P1" "$NS_P2" "$NS_G" "$NS_O"; do netns_add "$ns"; done
ip -n "$NS_G" link add br0 type bridge
ip -n "$NS_G" addr add 10.0.0.1/24 dev br0
ip -n "$NS_G" link set br0 up
n=1
for ns in "$NS_P1" "$NS_P2"; do
    ip link add vp netns "$ns" type veth peer name g$n netns "$NS_G"
    ip -n "$NS_G" link set g$n master br0
    ip -n "$NS_G" link set g$n up
    ip -n "$ns" addr add 10.0.0.$((n + 1))/24 dev vp
    ip -n "$ns" link set vp up
    ip -n "$ns" route add default via 10.0.0.1
    n=$((n + 1))
done
ip link add go netns "$NS_G" type veth peer name vo netns "$NS_O"
ip -n "$NS_G" addr add $GW_OUT/24 dev go
ip -n "$NS_O" addr add $SERVER/24 dev vo
ip -n "$NS_G" link set go up
ip -n "$NS_O" link set vo up
ip netns exec "$NS_G" sysctl -qw net.ipv4.ip_forward=1
serve_echo "$NS_O" tcp 9000 out
serve_echo "$NS_O" udp 9001 outu

step "without SNAT the server cannot answer the private side"
if echo_connect "$NS_P1" tcp $SERVER 9000 1 --timeout 1000 >"$work/none.out"; then
    fail "the private side reached the server without SNAT: $(cat "$work/none.out")"
fi
echo "ok: $(cat "$work/none.out")"
expect_ping dropped "$NS_P1" $SERVER

# Every reply must show the gateway's address as the peer.
expect_peer_gw() { # file
    local bad
    bad=$(awk -v gw=$GW_OUT '{ p = $2; sub(/:[0-9]+$/, "", p); if (p != gw) print }' "$1")
    [[ -z $bad ]] || fail "the server saw another peer than $GW_OUT: $bad"
}
port_of() { # reply line → translated port
    sed 's/^.*://' <<<"$1"
}

step "snat from 10.0.0.0/24 -> interface"
compile_text gw >/dev/null <<'POL'
policy gw {
    attach tc egress
    default pass
    track
    snat from 10.0.0.0/24 -> interface
}
POL
pctl apply "$work/gw.o" --dev go --netns "$NS_G"
expect_attached gw true
for ns in "$NS_P1" "$NS_P2"; do
    echo_connect "$ns" tcp $SERVER 9000 5 --timeout 2000 >"$work/tcp.out" ||
        fail "tcp from $ns through SNAT: $(grep ERROR "$work/tcp.out" | head -3)"
    expect_peer_gw "$work/tcp.out"
    echo "ok: tcp from $ns: $(head -1 "$work/tcp.out")"
    echo_connect "$ns" udp $SERVER 9001 5 --timeout 2000 >"$work/udp.out" ||
        fail "udp from $ns through SNAT: $(grep ERROR "$work/udp.out" | head -3)"
    expect_peer_gw "$work/udp.out"
    echo "ok: udp from $ns: $(head -1 "$work/udp.out")"
    expect_ping ok "$ns" $SERVER
done
grep -q '^tcp 10\.0\.0\.' "$work/out.log" && fail "the server saw a private address"
grep -q '^udp 10\.0\.0\.' "$work/outu.log" && fail "the server saw a private address (udp)"

step "two clients, one source port, one server: two translated ports"
echo_connect "$NS_P1" tcp $SERVER 9000 1 --sport 7000 --timeout 2000 --hold 3 >"$work/h1.out" 2>&1 &
h1=$!
bg_pids+=($h1)
for ((t = 0; t < 50; t++)); do
    [[ -s $work/h1.out ]] && break
    sleep 0.1
done
echo_connect "$NS_P2" tcp $SERVER 9000 1 --sport 7000 --timeout 2000 >"$work/h2.out" ||
    fail "the second client with source port 7000 failed: $(cat "$work/h2.out")"
wait $h1 || fail "the first client with source port 7000 failed: $(cat "$work/h1.out")"
l1=$(head -1 "$work/h1.out")
l2=$(head -1 "$work/h2.out")
expect_peer_gw <(echo "$l1"; echo "$l2")
p1=$(port_of "$l1")
p2=$(port_of "$l2")
[[ $p1 != "$p2" ]] || fail "both clients were translated to port $p1"
echo "ok: 10.0.0.2:7000 -> $GW_OUT:$p1, 10.0.0.3:7000 -> $GW_OUT:$p2"

step "polctl ct shows the translation"
pctl ct gw >"$work/ct.txt"
head -8 "$work/ct.txt"
pctl ct -j gw >"$work/ct.json"
jq -e --arg gw $GW_OUT '.[0].flows | map(select(.proto == "tcp" and .src == "10.0.0.2" and .sport == 7000
        and .nat == "snat" and .xsrc == $gw and .xdst == "'$SERVER'")) | length >= 1' "$work/ct.json" >/dev/null ||
    fail "polctl ct -j shows no flow from 10.0.0.2:7000 translated to $GW_OUT: $(jq -c '.[0].flows[0]' "$work/ct.json")"
jq -e '.[0].flows | map(select(.proto == "udp" and .nat == "snat" and .xsrc == "'$GW_OUT'")) | length >= 1' "$work/ct.json" >/dev/null ||
    fail "polctl ct -j shows no translated udp flow"
jq -e '.[0].flows | map(select(.proto == "icmp" and .nat == "snat" and .xsrc == "'$GW_OUT'")) | length >= 1' "$work/ct.json" >/dev/null ||
    fail "polctl ct -j shows no translated ping"
echo "ok: tcp, udp and icmp flows translated to $GW_OUT"
pctl nat gw

step "snat -> $GW_OUT port 40000-40001: the third concurrent flow is exhausted"
pctl detach gw   # a fresh table: no flow of the first policy holds a port
compile_text gw2 >/dev/null <<POL
policy gw {
    attach tc egress
    default pass
    track
    snat from 10.0.0.0/24 -> $GW_OUT port 40000-40001
}
POL
pctl apply "$work/gw2.o" --dev go --netns "$NS_G"
held=()
n=0
for ns in "$NS_P1" "$NS_P2"; do
    n=$((n + 1))
    echo_connect "$ns" tcp $SERVER 9000 1 --sport 7100 --timeout 2000 --hold 5 >"$work/x$n.out" 2>&1 &
    held+=($!)
    bg_pids+=($!)
done
for ((t = 0; t < 50; t++)); do
    [[ -s $work/x1.out && -s $work/x2.out ]] && break
    sleep 0.1
done
ports=$(cat "$work/x1.out" "$work/x2.out" | grep -v '^HELD' | sed 's/^.*://' | sort | tr '\n' ' ')
[[ $ports == "40000 40001 " ]] || fail "two flows got ports '$ports', not 40000 and 40001: $(cat "$work/x1.out" "$work/x2.out")"
echo "ok: two held flows on $GW_OUT:40000 and :40001"
if echo_connect "$NS_P1" tcp $SERVER 9000 1 --sport 7101 --timeout 1500 >"$work/x3.out"; then
    fail "a third flow got a port out of a range of two: $(cat "$work/x3.out")"
fi
echo "ok: the third flow: $(cat "$work/x3.out")"
for p in "${held[@]}"; do
    wait "$p" || fail "a held flow broke: $(cat "$work/x1.out" "$work/x2.out")"
done
pctl nat gw
pctl nat -j gw >"$work/nat.json"
exhausted=$(jq '.[0].stats.nat_exhausted' "$work/nat.json")
[[ $exhausted =~ ^[0-9]+$ && $exhausted -gt 0 ]] ||
    fail "polctl nat -j reports nat_exhausted '$exhausted': $(cat "$work/nat.json")"
echo "ok: NAT exhaustion counted: $exhausted"

pctl detach gw
echo PASS
