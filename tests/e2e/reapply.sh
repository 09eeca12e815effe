#!/usr/bin/env bash
# Re-applying a policy while traffic flows replaces it atomically: a ping
# stream that every version passes loses nothing on XDP and on tc, and a
# failed apply leaves the running version in place.  Moving a policy between
# hooks (XDP <-> tc) attaches the new hook before detaching the old one; the
# veth driver itself may drop a frame in flight when XDP is first installed
# on it (it switches its receive path to NAPI), so that phase allows one lost
# echo per XDP install, no more.
source "$(dirname "$0")/lib.sh"

make_pair
listen "$NS_B" 80 4

for v in 1 2; do
    compile_text v$v >/dev/null <<POL
policy web {
    attach xdp
    default drop
    pass icmp type echo-request
    pass icmpv6 type { neighbor-solicitation, neighbor-advertisement }
    pass tcp to port 80
    drop tcp to port 2$v    # differs per version
}
POL
done
for v in 1 2; do
    compile_text tc$v >/dev/null <<POL
policy web {
    attach tc ingress
    default drop
    pass icmp type echo-request
    pass tcp to port 80
    drop tcp to port 2$v
}
POL
done

for hook in xdp tc switch; do
    step "re-applying while a ping stream runs ($hook)"
    first=v1
    [[ $hook == tc ]] && first=tc1
    pctl apply "$work/$first.o" --dev vb --netns "$NS_B"
    log=$work/ping-$hook.log
    ip netns exec "$NS_A" timeout 60 ping -i 0.005 -c 1200 -W 1 $B4 >"$log" 2>&1 &
    pid=$!
    for i in $(seq 1 10); do
        case $hook in
        xdp) pctl apply "$work/v$((i % 2 + 1)).o" --dev vb --netns "$NS_B" 2>/dev/null ;;
        tc) pctl apply "$work/tc$((i % 2 + 1)).o" --dev vb --netns "$NS_B" 2>/dev/null ;;
        switch) pctl apply "$work/$( ((i % 2)) && echo tc1 || echo v1).o" --dev vb --netns "$NS_B" 2>/dev/null ;;
        esac
        sleep 0.2
    done
    wait "$pid" || true
    loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$log")
    received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$log")
    echo "ping: $received of 1200 received, $loss% loss"
    allowed=0
    [[ $hook == switch ]] && allowed=5   # one per XDP install (i = 2, 4, ..., 10)
    [[ $received -ge $((1200 - allowed)) ]] ||
        fail "packets lost while re-applying ($hook): $(tail -2 "$log")"
done

step "the instance holds the last version, counting from its apply"
expect_attached web true
[[ $(pctl status -j | jq length) -eq 1 ]] || fail "re-apply left extra instances"
ls "$root" | grep -q '+' && fail "work directories left in $root"

step "a failed apply leaves the running version"
pctl apply "$work/v1.o" --dev vb --netns "$NS_B"
before=$(pctl status -j web | jq -r '.[0].prog_id')
pctl apply "$work/v2.o" --dev vb --netns "$NS_B" --policy nosuch 2>/dev/null && fail "apply of a missing policy succeeded"
pctl apply "$work/v2.o" --dev nosuchdev --netns "$NS_B" 2>/dev/null && fail "apply to a missing device succeeded"
printf 'garbage' > "$work/bad.o"
pctl apply "$work/bad.o" --dev vb --netns "$NS_B" 2>/dev/null && fail "apply of garbage succeeded"
after=$(pctl status -j web | jq -r '.[0].prog_id')
[[ $before == "$after" ]] || fail "the program changed after failed applies ($before → $after)"
expect_attached web true
expect_tcp connected "$NS_A" $B4 80
expect_tcp dropped "$NS_A" $B4 21
echo PASS
