#!/usr/bin/env bash
# tc ingress and tc egress end to end, two policies of one artifact applied
# to the two ends of the pair; several instances on a node.
source "$(dirname "$0")/lib.sh"

make_pair
listen "$NS_B" 80 4
listen "$NS_B" 8080 4
listen "$NS_B" 8080 6

o=$(compile_text pair2 <<'POL'
policy a-out {
    attach tc egress
    default pass
    drop tcp to 10.77.0.0/24 port 8080
}
policy b-in {
    attach tc ingress
    default pass
    drop icmp type echo-request
    drop tcp from 10.77.0.1 to port 80
}
POL
)

step "apply both policies of one artifact"
pctl apply "$o" --policy a-out --dev va --netns "$NS_A"
pctl apply "$o" --policy b-in --dev vb --netns "$NS_B"
expect_attached a-out true
expect_attached b-in true
[[ $(pctl status -j | jq length) -eq 2 ]] || fail "status does not list two instances"

step "egress on A"
expect_tcp dropped "$NS_A" $B4 8080
expect_tcp connected "$NS_A" $B6 8080   # the drop rule is IPv4-only
expect_counter_ge a-out 1 1

step "ingress on B"
expect_ping dropped "$NS_A" $B4
expect_ping ok "$NS_A" $B6
expect_tcp dropped "$NS_A" $B4 80
expect_counter_ge b-in 1 2
expect_counter_ge b-in 2 1
expect_counter_ge b-in default 1

step "replacing tc ingress with an XDP version of the same instance"
o2=$(compile_text b-in-xdp <<'POL'
policy b-in {
    attach xdp
    default pass
    drop tcp from 10.77.0.1 to port 80
}
POL
)
pctl apply "$o2" --dev vb --netns "$NS_B"
expect_attached b-in true
ip netns exec "$NS_B" tc filter show dev vb ingress | grep -q pol_b_in && fail "old tc filter still attached"
expect_ping ok "$NS_A" $B4
expect_tcp dropped "$NS_A" $B4 80

step "detach"
pctl detach --all
ip netns exec "$NS_A" tc filter show dev va egress | grep -q pol_ && fail "egress filter left behind"
expect_tcp connected "$NS_A" $B4 8080
echo PASS
