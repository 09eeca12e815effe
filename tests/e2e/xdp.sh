#!/usr/bin/env bash
# XDP end to end: a default-drop policy on B's veth, real IPv4/IPv6 traffic
# from A, counters per rule, detach restores the device.
source "$(dirname "$0")/lib.sh"

make_pair
listen "$NS_B" 80 4
listen "$NS_B" 80 6
listen "$NS_B" 22 4

o=$(compile_text web <<'POL'
policy web {
    attach xdp
    default drop
    pass { icmp, icmpv6 } type echo-request
    pass icmpv6 type { neighbor-solicitation, neighbor-advertisement }
    pass tcp to port { 80, 443 }
    pass tcp from 198.51.100.0/24 to port 22
    drop tcp to port 23
}
POL
)

step "before: everything reaches B"
expect_tcp connected "$NS_A" $B4 22

step "apply"
pctl apply "$o" --dev vb --netns "$NS_B"
expect_attached web true
ip -n "$NS_B" link show vb | grep -q 'xdp' || fail "vb shows no XDP program"

step "traffic"
expect_ping ok "$NS_A" $B4
expect_ping ok "$NS_A" $B6
expect_tcp connected "$NS_A" $B4 80
expect_tcp connected "$NS_A" $B6 80
expect_tcp refused "$NS_A" $B4 443   # allowed; nothing listens: the RST came back
expect_tcp dropped "$NS_A" $B4 22    # not from the office
expect_tcp dropped "$NS_A" $B6 23    # explicit drop rule

step "counters"
expect_counter_ge web 1 4     # 2 pings of each family
expect_counter_ge web 3 6     # two connections and a SYN to 443
expect_counter_ge web 5 1     # the drop rule for port 23
expect_counter_ge web default 1
[[ $(counter web 4) -eq 0 ]] || fail "the office rule matched traffic from outside the office"

step "detach"
pctl detach web
ip -n "$NS_B" link show vb | grep -q 'xdp' && fail "XDP still attached after detach"
[[ -z $(ls "$root") ]] || fail "pins left behind: $(ls "$root")"
expect_tcp connected "$NS_A" $B4 22
echo PASS
