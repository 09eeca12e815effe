#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# track: a default-drop policy with connection tracking, on XDP and on tc
# ingress, with real traffic between two namespaces.  Connections the node
# (B) opens work (their replies pass on the conntrack table, the companion
# program on tc egress having recorded them); connections to B pass only
# where a rule admits them; re-applying keeps the tracked flows; detaching
# removes both programs.
source "$(dirname "$0")/lib.sh"

make_pair
listen "$NS_A" 8080 4    # a server outside, that B connects to
listen "$NS_A" 8080 6
listen "$NS_B" 80 4      # B's own service
listen "$NS_B" 8080 4    # open on B, but not admitted by the policy

for hook in "xdp" "tc ingress"; do
    name=tr-${hook// /-}
    compile_text "$name" >/dev/null <<POL
policy node {
    attach $hook
    default drop
    track size 4096
    pass tcp to port 80 label web
    pass icmpv6 type { neighbor-solicitation, neighbor-advertisement }
}
POL
    step "tracked policy on $hook"
    pctl show "$work/$name.o" | grep -q "tracked: companion pol_node_track on tc egress" ||
        fail "polctl show does not list the companion program"
    pctl apply "$work/$name.o" --dev vb --netns "$NS_B"
    pctl status -j node | jq -e '.[0].attached' >/dev/null || fail "not attached"
    ip netns exec "$NS_B" tc filter show dev vb egress | grep -q 'direct-action' ||
        fail "no companion program on vb egress"

    expect_tcp connected "$NS_A" $B4 80         # admitted by a rule
    expect_tcp dropped "$NS_A" $B4 8080         # open, but no rule admits it
    expect_tcp connected "$NS_B" $A4 8080       # B opens it: the replies are a tracked flow
    expect_tcp connected "$NS_B" $A6 8080       # the same over IPv6
    expect_tcp dropped "$NS_A" $B6 8080
    expect_ping ok "$NS_B" $A4                  # B's echo requests: the replies pass
    expect_ping dropped "$NS_A" $B4             # no rule for A's

    step "polctl ct and status ($hook)"
    pctl ct node
    pctl ct -j node >"$work/ct.json"
    jq -e '.[0].flows | map(select(.proto == "tcp" and .dport == 8080 and .local and .dst == "'$A4'")) | length >= 1' \
        "$work/ct.json" >/dev/null || fail "polctl ct does not list B's connection to $A4:8080 as opened by the node"
    jq -e '.[0].flows | map(select(.proto == "tcp" and .dport == 80 and (.local | not) and .rule == 1)) | length >= 1' \
        "$work/ct.json" >/dev/null || fail "polctl ct does not list A's connection to port 80 as admitted by rule 1"
    jq -e '.[0].flows | map(select(.proto == "icmp")) | length >= 1' "$work/ct.json" >/dev/null ||
        fail "polctl ct does not list B's ping"
    jq -e '.[0].size == 4096 and .[0].entries >= 4' "$work/ct.json" >/dev/null || fail "polctl ct: size or entries wrong"
    pctl status -j node | jq -e '.[0].companion_attached and .[0].conntrack.size == 4096' >/dev/null ||
        fail "polctl status does not show the companion and the table's pressure"
    pctl ct gc node | grep -q "removed 0 expired" || fail "polctl ct gc removed live flows"

    step "re-apply keeps the table ($hook)"
    pin=$root/node/ct
    [[ -e $pin ]] || fail "no conntrack pin"
    id_before=$(bpftool map show pinned "$pin" -j | jq .id)
    before=$(bpftool map dump pinned "$pin" -j | jq length)
    [[ $before -ge 4 ]] || fail "the conntrack table holds $before entries, not both ways of 2+ flows"
    pctl apply "$work/$name.o" --dev vb --netns "$NS_B"
    id_after=$(bpftool map show pinned "$pin" -j | jq .id)
    after=$(bpftool map dump pinned "$pin" -j | jq length)
    [[ $id_before == "$id_after" ]] || fail "re-apply made a new table ($id_before -> $id_after)"
    [[ $after -ge $before ]] || fail "re-apply lost flows: $before -> $after entries"
    echo "ok: conntrack table $id_after kept: $before -> $after entries"
    expect_tcp connected "$NS_B" $A4 8080

    step "detach removes both programs ($hook)"
    pctl detach node
    ip netns exec "$NS_B" tc filter show dev vb egress | grep -q 'direct-action' &&
        fail "the companion program is still on vb egress"
    expect_tcp connected "$NS_A" $B4 8080       # nothing filters any more
done

step "an untracked policy replaces a tracked one: the companion goes"
compile_text plain >/dev/null <<'POL'
policy node {
    attach xdp
    default pass
    drop tcp to port 8080
}
POL
pctl apply "$work/tr-xdp.o" --dev vb --netns "$NS_B"
pctl apply "$work/plain.o" --dev vb --netns "$NS_B"
ip netns exec "$NS_B" tc filter show dev vb egress | grep -q 'direct-action' &&
    fail "the old companion stayed on vb egress"
expect_tcp dropped "$NS_A" $B4 8080
pctl detach node
echo PASS
