# lib.sh: what the end-to-end tests share.  Source it; it sets up a private
# bpffs root and cleans up everything on exit.  Every traffic command is
# bounded in count and time.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: end-to-end tests need root"
    exit 77
fi
: "${POLC:?POLC must name the polc binary}"
: "${POLCTL:?POLCTL must name the polctl binary}"

tag=$$
root=/sys/fs/bpf/polc-e2e-$tag
work=$(mktemp -d /tmp/polc-e2e.XXXXXX)
NS_A=pe-a-$tag
NS_B=pe-b-$tag
A4=10.77.0.1 B4=10.77.0.2 A6=fd00:77::1 B6=fd00:77::2
bg_pids=()
e2e_netns=()   # namespaces netns_add made, deleted on exit

e2e_cleanup() {
    set +e
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    "$POLCTL" --root "$root" detach --all >/dev/null 2>&1
    rmdir "$root" 2>/dev/null
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    for ns in "${e2e_netns[@]}"; do ip netns del "$ns" 2>/dev/null; done
    rm -rf "$work"
}
trap e2e_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

pctl() { "$POLCTL" --root "$root" "$@"; }

# Two namespaces joined by a veth pair: va in A, vb in B.
make_pair() {
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    ip link add va netns "$NS_A" type veth peer name vb netns "$NS_B"
    ip -n "$NS_A" addr add $A4/24 dev va
    ip -n "$NS_B" addr add $B4/24 dev vb
    ip -n "$NS_A" addr add $A6/64 dev va nodad
    ip -n "$NS_B" addr add $B6/64 dev vb nodad
    for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_A" link set va up
    ip -n "$NS_B" link set vb up
}

compile() { # file.pol out.o
    "$POLC" compile "$1" -o "$2" || fail "polc compile $1"
}

# policy text on stdin → artifact path
compile_text() { # name
    cat > "$work/$1.pol"
    compile "$work/$1.pol" "$work/$1.o"
    echo "$work/$1.o"
}

listen() { # ns port [4|6] [tcp|udp]
    local flags=(-l -k -p "$2")
    [[ ${3:-4} == 6 ]] && flags=(-6 "${flags[@]}")
    [[ ${4:-tcp} == udp ]] && flags=(-u "${flags[@]}")
    ip netns exec "$1" timeout 120 nc "${flags[@]}" </dev/null >/dev/null 2>&1 &
    bg_pids+=($!)
    sleep 0.3
}

ping_ok() { # ns addr
    ip netns exec "$1" timeout 10 ping -c 2 -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

# tcp_probe ns addr port → prints connected | refused | dropped
tcp_probe() {
    local fam=4 out
    [[ $2 == *:* ]] && fam=6
    if out=$(ip netns exec "$1" timeout 5 nc -"$fam" -z -v -w 2 "$2" "$3" 2>&1); then
        echo connected
    elif grep -q refused <<<"$out"; then
        echo refused
    else
        echo dropped
    fi
}

expect_tcp() { # want ns addr port
    local got
    got=$(tcp_probe "$2" "$3" "$4")
    [[ $got == "$1" ]] || fail "tcp $3 port $4 from $2: expected $1, got $got"
    echo "ok: tcp $3 port $4: $got"
}

expect_ping() { # ok|dropped ns addr
    if ping_ok "$2" "$3"; then
        [[ $1 == ok ]] || fail "ping $3 from $2 passed, expected it dropped"
    else
        [[ $1 == dropped ]] || fail "ping $3 from $2 dropped, expected it to pass"
    fi
    echo "ok: ping $3: $1"
}

# packets counted for rule id (or a reason name) of an instance
counter() { # instance rule-id|reason
    local json
    json=$(pctl stats -j "$1")
    if [[ $2 =~ ^[0-9]+$ ]]; then
        jq -r --argjson id "$2" '.[0].rules[] | select(.id == $id) | .packets' <<<"$json"
    else
        jq -r --arg r "$2" '.[0].reasons[$r].packets' <<<"$json"
    fi
}

expect_counter_ge() { # instance rule min
    local n
    n=$(counter "$1" "$2")
    [[ -n $n && $n -ge $3 ]] || fail "instance $1 counter $2 is '$n', expected >= $3"
    echo "ok: $1 counter $2 = $n (>= $3)"
}

expect_attached() { # instance true|false
    local a
    a=$(pctl status -j "$1" | jq -r '.[0].attached')
    [[ $a == "$2" ]] || fail "instance $1 attached=$a, expected $2"
}

# A namespace of the test's own (removed on exit), its loopback up.
netns_add() { # name
    ip netns add "$1"
    e2e_netns+=("$1")
    ip -n "$1" link set lo up
}

# pol-tcpecho ($TCPECHO) server in the background, its log in $work/NAME.log;
# returns once it listens (or fails).  Options after the lifetime go to the
# server (--echo).
serve_echo() { # ns tcp|udp port name [lifetime [options...]]
    : "${TCPECHO:?TCPECHO must name the pol-tcpecho binary}"
    local log=$work/$4.log i
    ip netns exec "$1" timeout $((${5:-240} + 5)) "$TCPECHO" serve "$2" "$3" "$4" \
        --lifetime "${5:-240}" "${@:6}" >"$log" 2>&1 &
    bg_pids+=($!)
    for ((i = 0; i < 50; i++)); do
        grep -q "^listening $2 $3\$" "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "pol-tcpecho server $4 ($2 port $3 in $1) did not start: $(cat "$log")"
}

# pol-tcpecho client: prints its lines; its status is the client's.
echo_connect() { # ns tcp|udp addr port count [options...]
    : "${TCPECHO:?TCPECHO must name the pol-tcpecho binary}"
    local ns=$1
    shift
    ip netns exec "$ns" timeout "${ECHO_TIMEOUT:-120}" "$TCPECHO" connect "$@"
}
