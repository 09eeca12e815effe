#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# lb: DNAT on tc ingress, a load balancer with real traffic.  A client
# namespace reaches a virtual address through the lb namespace, which
# translates each new connection to one of three backend namespaces:
#
#   client 10.1.0.2 --vc--lc-- lb 10.1.0.1 --lb1--vb-- b1 10.2.1.2
#   (192.0.2.10 via lb)         (forwards)  --lb2--vb-- b2 10.2.2.2
#                                           --lb3--vb-- b3 10.2.3.2
#
# Nothing answers 192.0.2.10 but the translation, and the backends route
# the replies back through lb (default route), where the companion program
# (tc egress of lc) translates them back.  For each balance algorithm 300
# connections are counted per backend (the distributions are printed);
# maglev is checked for consistency (the same tuples go to the same
# backends; removing a backend with `polctl nat set` moves its flows and
# hardly any other; a connection held across the change keeps its backend),
# DNAT keeps the client's address, `polctl ct` shows the translation.  Then
# the same over IPv6.
source "$(dirname "$0")/lib.sh"
: "${TCPECHO:?TCPECHO must name the pol-tcpecho binary}"

NS_C=pn-c-$tag
NS_L=pn-l-$tag
VIP=192.0.2.10
VIP6=fd00:10::10
CLIENT=10.1.0.2
CLIENT6=fd00:1::2
N=300

step "topology: client -- lb -- b1, b2, b3"
netns_add "$NS_C"
netns_add "$NS_L"
ip link add vc netns "$NS_C" type veth peer name lc netns "$NS_L"
ip -n "$NS_C" addr add $CLIENT/24 dev vc
ip -n "$NS_C" addr add $CLIENT6/64 dev vc nodad
ip -n "$NS_L" addr add 10.1.0.1/24 dev lc
ip -n "$NS_L" addr add fd00:1::1/64 dev lc nodad
ip -n "$NS_C" link set vc up
ip -n "$NS_L" link set lc up
ip -n "$NS_C" route add $VIP/32 via 10.1.0.1
ip -n "$NS_C" -6 route add $VIP6/128 via fd00:1::1
ip netns exec "$NS_L" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for n in 1 2 3; do
    ns=pn-b$n-$tag
    netns_add "$ns"
    ip link add lb$n netns "$NS_L" type veth peer name vb netns "$ns"
    ip -n "$NS_L" addr add 10.2.$n.1/24 dev lb$n
    ip -n "$NS_L" addr add fd00:2:$n::1/64 dev lb$n nodad
    ip -n "$ns" addr add 10.2.$n.2/24 dev vb
    ip -n "$ns" addr add fd00:2:$n::2/64 dev vb nodad
    ip -n "$NS_L" link set lb$n up
    ip -n "$ns" link set vb up
    ip -n "$ns" route add default via 10.2.$n.1
    ip -n "$ns" -6 route add default via fd00:2:$n::1
    serve_echo "$ns" tcp 8080 b$n
done

step "without a policy nothing answers $VIP"
if echo_connect "$NS_C" tcp $VIP 80 1 --timeout 1000 >"$work/none.out"; then
    fail "$VIP:80 answered without DNAT: $(cat "$work/none.out")"
fi
echo "ok: $(cat "$work/none.out")"

# The policy, with one balance algorithm for both services.
lb_policy() { # balance
    compile_text "lb-$1" <<POL
policy lb {
    attach tc ingress
    default pass
    track
    dnat tcp to $VIP port 80 -> { 10.2.1.2:8080, 10.2.2.2:8080, 10.2.3.2:8080 } balance $1 label web
    dnat tcp to $VIP6 port 80 -> { [fd00:2:1::2]:8080, [fd00:2:2::2]:8080, [fd00:2:3::2]:8080 } balance $1 label web6
}
POL
}

# N connections to a VIP, their replies in a file; all must succeed, and
# each backend must have seen the client's own address (DNAT keeps the
# source).
round() { # out vip client count [connect options]
    local out=$1 vip=$2 client=$3 count=$4 bad
    shift 4
    if ! echo_connect "$NS_C" tcp "$vip" 80 "$count" --timeout 2000 "$@" >"$out"; then
        grep -m 5 ERROR "$out" >&2 || true
        fail "connections to $vip:80 failed ($(grep -c ERROR "$out") of $count)"
    fi
    [[ $(wc -l <"$out") -eq $count ]] || fail "$(wc -l <"$out") replies for $count connections"
    bad=$(awk -v c="$client" '{ p = $2; sub(/:[0-9]+$/, "", p); gsub(/[][]/, "", p); if (p != c) print }' "$out")
    [[ -z $bad ]] || fail "a backend saw another source than $client: $(head -3 <<<"$bad")"
}

count_of() { # file backend
    awk -v b="$2" '$1 == b { n++ } END { print n + 0 }' "$1"
}

distribution() { # file → "b1=.. b2=.. b3=.."
    echo "b1=$(count_of "$1" b1) b2=$(count_of "$1" b2) b3=$(count_of "$1" b3)"
}

declare -A dist
for alg in round-robin random maglev; do
    step "balance $alg: $N connections to $VIP:80"
    lb_policy "$alg" >/dev/null
    pctl apply "$work/lb-$alg.o" --dev lc --netns "$NS_L"
    expect_attached lb true
    round "$work/$alg.out" $VIP $CLIENT $N
    dist[$alg]=$(distribution "$work/$alg.out")
    echo "distribution $alg ($N connections): ${dist[$alg]}"
    for b in b1 b2 b3; do
        c=$(count_of "$work/$alg.out" $b)
        case $alg in
        round-robin) ((c >= N / 3 - 1 && c <= N / 3 + 1)) ||
            fail "round-robin gave $b $c of $N connections, not $((N / 3)) (+-1)" ;;
        *) ((c >= N / 6 && c <= N / 2)) ||
            fail "$alg gave $b $c of $N connections, outside $((N / 6))..$((N / 2))" ;;
        esac
    done
    expect_counter_ge lb 1 $N
done

step "polctl nat and ct show the service and the translation"
pctl nat lb
pctl nat -j lb >"$work/nat.json"
jq -e '.[0].services | map(select(.label == "web")) | .[0].backends | length == 3' "$work/nat.json" >/dev/null ||
    fail "polctl nat -j does not list 3 backends for service web: $(cat "$work/nat.json")"
pctl ct lb >"$work/ct.txt"
head -5 "$work/ct.txt"
pctl ct -j lb >"$work/ct.json"
jq -e --arg vip $VIP '.[0].flows | map(select(.proto == "tcp" and .dst == $vip and .dport == 80
        and .nat == "dnat" and .xsrc == "'$CLIENT'" and (.xdst | test("^10\\.2\\.[123]\\.2$"))
        and .xdport == 8080)) | length >= 1' "$work/ct.json" >/dev/null ||
    fail "polctl ct -j shows no flow to $VIP:80 translated to a backend:8080: $(jq -c '.[0].flows[0]' "$work/ct.json")"
echo "ok: polctl ct shows $VIP:80 translated to the backends"

step "maglev: the same tuples go to the same backends"
round "$work/mg-a.out" $VIP $CLIENT $N --sport 20000
round "$work/mg-b.out" $VIP $CLIENT $N --sport 20000
# the backends see the client's own source ports too
awk '{ p = $2; sub(/^.*:/, "", p); if (p != 20000 + NR - 1) { print; exit 1 } }' "$work/mg-a.out" ||
    fail "a backend saw another source port than the client's"
cmp -s <(cut -d' ' -f1 "$work/mg-a.out") <(cut -d' ' -f1 "$work/mg-b.out") ||
    fail "maglev sent the same tuples to other backends: $(diff <(cut -d' ' -f1 "$work/mg-a.out") \
        <(cut -d' ' -f1 "$work/mg-b.out") | head -5)"
echo "ok: $N tuples twice, the same backend each time ($(distribution "$work/mg-a.out"))"

step "maglev: a connection held across removing b3 keeps b3"
# a source port whose tuple maglev gives to b3
echo_connect "$NS_C" tcp $VIP 80 40 --sport 31000 --timeout 2000 >"$work/probe.out" ||
    fail "probe connections failed"
i=$(awk '$1 == "b3" { print NR - 1; exit }' "$work/probe.out")
[[ -n $i ]] || fail "none of 40 tuples went to b3"
hold_port=$((31000 + i))
echo_connect "$NS_C" tcp $VIP 80 1 --sport $hold_port --timeout 2000 --hold 6 >"$work/hold.out" 2>&1 &
hold_pid=$!
bg_pids+=($hold_pid)
for ((t = 0; t < 50; t++)); do
    [[ -s $work/hold.out ]] && break
    sleep 0.1
done
grep -q "^b3 " "$work/hold.out" || fail "the held connection did not reach b3: $(cat "$work/hold.out")"
b3_before=$(grep -c '^tcp ' "$work/b3.log")

pctl nat set lb web 10.2.1.2:8080 10.2.2.2:8080
pctl nat -j lb >"$work/nat2.json"
jq -e '.[0].services | map(select(.label == "web")) | .[0].backends | length == 2' "$work/nat2.json" >/dev/null ||
    fail "polctl nat -j does not list 2 backends for web after nat set: $(cat "$work/nat2.json")"

round "$work/mg-c.out" $VIP $CLIENT $N --sport 20000
echo "after removing b3: $(distribution "$work/mg-c.out")"
[[ $(count_of "$work/mg-c.out" b3) -eq 0 ]] || fail "new flows still go to b3"
b3_after=$(grep -c '^tcp ' "$work/b3.log")
[[ $b3_after -eq $b3_before ]] || fail "b3 accepted $((b3_after - b3_before)) connections after its removal"
read -r stayed moved < <(paste -d' ' <(cut -d' ' -f1 "$work/mg-a.out") <(cut -d' ' -f1 "$work/mg-c.out") |
    awk '$1 != "b3" { if ($1 == $2) s++; else m++ } END { print s + 0, m + 0 }')
echo "of $((stayed + moved)) tuples on b1/b2, $moved moved after removing b3"
((moved <= 5)) || fail "$moved of $((stayed + moved)) flows of b1/b2 moved when b3 was removed (at most 5 expected)"
kill -0 $hold_pid 2>/dev/null || fail "the held connection ended before the change was complete (hold too short)"
wait $hold_pid || fail "the held connection broke: $(cat "$work/hold.out")"
grep -q "^HELD 6 s, [0-9]* probes: b3 " "$work/hold.out" || fail "the held connection: $(cat "$work/hold.out")"
echo "ok: held connection: $(tail -1 "$work/hold.out")"

step "nat set refuses a backend of the other family; an empty pool drops new flows"
if pctl nat set lb web 10.2.1.2:8080 [fd00:2:3::2]:8080 2>"$work/err.txt"; then
    fail "nat set accepted an IPv6 backend for an IPv4 service"
fi
echo "ok: $(cat "$work/err.txt")"
pctl nat -j lb | jq -e '.[0].services | map(select(.label == "web")) | .[0].backends | length == 2' >/dev/null ||
    fail "a refused nat set changed the pool"
pctl nat set lb web
if echo_connect "$NS_C" tcp $VIP 80 1 --timeout 1000 >"$work/empty.out"; then
    fail "a service without backends answered: $(cat "$work/empty.out")"
fi
nb=$(pctl nat -j lb | jq '.[0].stats.nat_no_backend')
[[ $nb =~ ^[0-9]+$ && $nb -gt 0 ]] || fail "polctl nat -j reports nat_no_backend '$nb' after a flow to an empty pool"
echo "ok: empty pool: $(cat "$work/empty.out"), no-backend drops: $nb"

step "nat set back to three backends: b3 gets new flows again"
pctl nat set lb web 10.2.1.2:8080 10.2.2.2:8080 10.2.3.2:8080
round "$work/mg-d.out" $VIP $CLIENT $N --sport 20000
cmp -s <(cut -d' ' -f1 "$work/mg-a.out") <(cut -d' ' -f1 "$work/mg-d.out") ||
    fail "the pool restored does not send the tuples where they went first"
echo "ok: the restored pool gives every tuple its first backend ($(distribution "$work/mg-d.out"))"

step "IPv6: $N connections to [$VIP6]:80 (maglev)"
round "$work/v6.out" $VIP6 $CLIENT6 $N
echo "distribution maglev IPv6 ($N connections): $(distribution "$work/v6.out")"
for b in b1 b2 b3; do
    c=$(count_of "$work/v6.out" $b)
    ((c >= N / 6 && c <= N / 2)) || fail "maglev (IPv6) gave $b $c of $N connections"
done
pctl ct -j lb >"$work/ct6.json"
jq -e --arg vip $VIP6 '.[0].flows | map(select(.proto == "tcp" and .dst == $vip and .dport == 80
        and .nat == "dnat" and (.xdst | test("^fd00:2:[123]::2$")) and .xdport == 8080))
        | length >= 1' "$work/ct6.json" >/dev/null ||
    fail "polctl ct -j shows no flow to [$VIP6]:80 translated to a backend"
echo "ok: IPv6 translated and shown by polctl ct"

step "summary"
for alg in round-robin random maglev; do echo "  $alg: ${dist[$alg]}"; done
echo "  maglev after removing b3: $(distribution "$work/mg-c.out"), $moved of $((stayed + moved)) b1/b2 tuples moved"

pctl detach lb
echo PASS
