#!/usr/bin/env bash
# polctl on bad input: every mistake gets a clear message and a non-zero
# exit, never a crash, and leaves nothing behind.
source "$(dirname "$0")/lib.sh"

make_pair
o=$(compile_text one <<'POL'
policy one {
    attach tc ingress
    default pass
    drop udp to port 9
}
POL
)
o2=$(compile_text two <<'POL'
policy two {
    attach tc ingress
    default pass
    drop udp to port 7
}
POL
)

# run: expected-exit expected-message-part command...
run() {
    local want=$1 msg=$2 out rc
    shift 2
    out=$("$@" 2>&1) && rc=0 || rc=$?
    [[ $rc -eq $want ]] || fail "'$*' exited $rc, expected $want: $out"
    [[ -z $msg ]] || grep -qiF -- "$msg" <<<"$out" || fail "'$*' said '$out', expected '$msg'"
    echo "ok: $* → $rc"
}

step "usage errors exit 2"
run 2 "no command" "$POLCTL"
run 2 "unknown command" "$POLCTL" frobnicate
run 2 "unknown option" "$POLCTL" --frob status
run 2 "needs --dev" pctl apply "$o"
run 2 "one artifact" pctl apply --dev vb
run 2 "native or generic" pctl apply "$o" --dev vb --xdp-mode turbo
run 2 "instance names or --all" pctl detach
run 2 "absolute path" "$POLCTL" --root relative status

step "bad artifacts exit 1"
run 1 "cannot open" pctl apply "$work/missing.o" --dev vb --netns "$NS_B"
printf 'not an object' > "$work/text.o"
run 1 "not an ELF" pctl apply "$work/text.o" --dev vb --netns "$NS_B"
head -c 200 "$o" > "$work/cut.o"
run 1 "" pctl apply "$work/cut.o" --dev vb --netns "$NS_B"
run 1 "is not a regular file" pctl show /tmp
# an ELF for another machine
run 1 "not for BPF" pctl show /bin/true
# corrupt the metadata magic: find it and flip a byte
cp "$o" "$work/badmagic.o"
off=$(grep -obUaP 'POLM' "$work/badmagic.o" | head -1 | cut -d: -f1)
[[ -n $off ]] || fail "no metadata magic found in the artifact"
printf 'X' | dd of="$work/badmagic.o" bs=1 seek="$off" conv=notrunc status=none
run 1 "bad magic" pctl show "$work/badmagic.o"

step "bad targets exit 1"
run 1 "no device" pctl apply "$o" --dev nosuch0 --netns "$NS_B"
run 1 "no network namespace" pctl apply "$o" --dev vb --netns nosuch-ns-$tag
run 1 "not a network namespace name" pctl apply "$o" --dev vb --netns ../etc
run 1 "no policy 'zzz'" pctl apply "$o" --dev vb --netns "$NS_B" --policy zzz
run 1 "cannot name an instance" pctl apply "$o" --dev vb --netns "$NS_B" --name bad.name
run 1 "no instance" pctl detach nosuch
run 1 "no instance" pctl stats nosuch

step "conflicts"
run 0 "" pctl apply "$o" --dev vb --netns "$NS_B"
run 1 "already runs instance 'one'" pctl apply "$o2" --dev vb --netns "$NS_B"
run 1 "detach it first" pctl apply "$o" --dev va --netns "$NS_A"
run 0 "" pctl apply "$o" --dev va --netns "$NS_A" --name one-a
run 0 "" pctl status
[[ $(pctl status -j | jq length) -eq 2 ]] || fail "expected two instances"
run 0 "" pctl show "$o"
pctl show -j "$o" | jq -e '.policies[0].rules[0].source == "drop udp to port 9"' >/dev/null ||
    fail "show -j does not give the rule's source"

step "a namespace that disappears"
ip netns del "$NS_A"
st=$(pctl status -j one-a | jq -r '.[0].attached')
[[ $st == false ]] || fail "instance on a deleted namespace reported attached=$st"
run 0 "" pctl detach one-a
run 0 "" pctl detach one
[[ -z $(ls "$root") ]] || fail "pins left behind: $(ls "$root")"
echo PASS
