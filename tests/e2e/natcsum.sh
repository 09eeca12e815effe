#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# natcsum: NAT keeps checksums right, with real bulk traffic both ways.
#
#   cl 10.3.0.7 --vc--rc-- rt 10.3.0.1   10.4.0.1 --rs--vs-- sv 10.4.0.2
#      fd00:3::7              fd00:3::1  fd00:4::1              fd00:4::2
#   (192.0.2.20, fd00:20::20 via rt)                 (echo: tcp 8080, udp 8081)
#
# veth hands locally generated TCP/UDP packets on as CHECKSUM_PARTIAL skbs
# and trusts them on receive, so a wrong checksum update goes unseen unless:
# rt's devices have tx checksum offload off (a forwarded partial skb gets its
# checksum computed in software, from what the NAT program left in the
# field), and the end hosts have rx checksum offload off (they verify every
# checksum and count what is wrong in /proc/net/snmp, snmp6, netstat).
#
# For DNAT (tc ingress of rc: 192.0.2.20:80 -> 10.4.0.2:8080, udp :81 ->
# :8081, the same over IPv6) and SNAT (tc egress of rs: from the client's
# networks to 10.4.0.1 / fd00:4::1, ports 40000-40999), IPv4 and IPv6:
# 2 MB over TCP and 300 UDP datagrams of 1200 bytes, echoed back and
# compared byte for byte.  Twice: with the end hosts' own tx offload on (the
# NAT rewrites partial skbs, TCP in 64 KB GSO packets) and off (complete
# checksums in every packet).  No end host may count a checksum error.
# The first pass catches a missing or misplaced BPF_F_PSEUDO_HDR (on a
# partial skb only the pseudo-header part of the field is updated), the
# second a wrong incremental update of a complete checksum.
source "$(dirname "$0")/lib.sh"
: "${TCPECHO:?TCPECHO must name the pol-tcpecho binary}"

if ! command -v ethtool >/dev/null; then
    echo "SKIP: ethtool is not installed (scripts/setup.sh installs it)"
    exit 77
fi

NS_CL=pk-cl-$tag
NS_RT=pk-rt-$tag
NS_SV=pk-sv-$tag
CL4=10.3.0.7 CL6=fd00:3::7
SV4=10.4.0.2 SV6=fd00:4::2
RT4=10.4.0.1 RT6=fd00:4::1 # rt's address towards sv: the SNAT address
VIP=192.0.2.20 VIP6=fd00:20::20
TCP_BYTES=2000000
UDP_SIZE=1200
UDP_BYTES=$((300 * (UDP_SIZE - 8))) # 300 datagrams (8 bytes of each: a sequence number)
export ECHO_TIMEOUT=20              # each client run, in all

# An address's 16-bit one's complement sum, its share of the pseudo-header
# checksum.  A translation between two addresses of the same sum (10.3.0.2
# and 10.4.0.1) leaves the checksum right even when the update is missing:
# every translation here must change the sum, or the test proves nothing.
addr_sum() { # addr
    local s=0 w
    if [[ $1 == *:* ]]; then
        for w in ${1//:/ }; do s=$((s + 16#$w)); done # the groups '::' leaves out are 0
    else
        local IFS=.
        # shellcheck disable=SC2086
        set -- $1
        s=$(($1 * 256 + $2 + $3 * 256 + $4))
    fi
    while ((s > 0xffff)); do s=$(((s & 0xffff) + (s >> 16))); done
    ((s == 0xffff)) && s=0
    echo $s
}
for pair in "$VIP $SV4" "$VIP6 $SV6" "$CL4 $RT4" "$CL6 $RT6"; do
    # shellcheck disable=SC2086
    set -- $pair
    [[ $(addr_sum "$1") != $(addr_sum "$2") ]] ||
        fail "translating $1 to $2 does not change the checksum: choose other addresses"
done

step "topology: cl -- rt -- sv"
for ns in "$NS_CL" "$NS_RT" "$NS_SV"; do netns_add "$ns"; done
ip link add vc netns "$NS_CL" type veth peer name rc netns "$NS_RT"
ip link add rs netns "$NS_RT" type veth peer name vs netns "$NS_SV"
ip -n "$NS_CL" addr add $CL4/24 dev vc
ip -n "$NS_CL" addr add $CL6/64 dev vc nodad
ip -n "$NS_RT" addr add 10.3.0.1/24 dev rc
ip -n "$NS_RT" addr add fd00:3::1/64 dev rc nodad
ip -n "$NS_RT" addr add $RT4/24 dev rs
ip -n "$NS_RT" addr add $RT6/64 dev rs nodad
ip -n "$NS_SV" addr add $SV4/24 dev vs
ip -n "$NS_SV" addr add $SV6/64 dev vs nodad
ip -n "$NS_CL" link set vc up
ip -n "$NS_RT" link set rc up
ip -n "$NS_RT" link set rs up
ip -n "$NS_SV" link set vs up
ip -n "$NS_CL" route add default via 10.3.0.1
ip -n "$NS_CL" -6 route add default via fd00:3::1
ip -n "$NS_SV" route add default via $RT4
ip -n "$NS_SV" -6 route add default via $RT6
ip netns exec "$NS_RT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# offload (ns dev tx|rx on|off), then check that the device says so
offload() {
    local want
    ip netns exec "$1" ethtool -K "$2" "$3" "$4" >/dev/null 2>&1 ||
        fail "ethtool -K $2 $3 $4 in $1: $(ip netns exec "$1" ethtool -K "$2" "$3" "$4" 2>&1)"
    [[ $3 == tx ]] && want=tx-checksumming || want=rx-checksumming
    ip netns exec "$1" ethtool -k "$2" | grep -q "^$want: $4" ||
        fail "$2 in $1: $(ip netns exec "$1" ethtool -k "$2" | grep "^$want:") after ethtool -K $2 $3 $4"
}
offload "$NS_RT" rc tx off
offload "$NS_RT" rs tx off
offload "$NS_CL" vc rx off
offload "$NS_SV" vs rx off
echo "ok: tx checksum offload off on rc, rs (rt); rx checksum offload off on vc (cl), vs (sv)"

serve_echo "$NS_SV" tcp 8080 sv 120 --echo
serve_echo "$NS_SV" udp 8081 svu 120 --echo

# The checksum error counters of a namespace, one "NAME=N" each: TCP (both
# families), UDP, UDP/IPv6, the IPv4 header, ICMP, ICMPv6.
csum_errors() { # ns
    # shellcheck disable=SC2016 # an awk program
    ip netns exec "$1" awk '
        FILENAME ~ /snmp6$/ { if ($1 ~ /InCsumErrors$/) printf "%s=%s ", $1, $2; next }
        $1 ~ /^(Tcp|Udp|Icmp|IpExt):$/ {
            if (seen[$1]++) { for (i = 2; i <= NF; i++) if (name[i] == "InCsumErrors")
                                  printf "%s%s=%s ", substr($1, 1, length($1) - 1), name[i], $i }
            else for (i = 2; i <= NF; i++) name[i] = $i
        }' /proc/net/snmp /proc/net/netstat /proc/net/snmp6
}

declare -A errs_before
errs_mark() {
    local ns
    for ns in "$NS_CL" "$NS_SV"; do errs_before[$ns]=$(csum_errors "$ns"); done
}
# no end host counted a checksum error since errs_mark
errs_check() { # what
    local ns now
    for ns in "$NS_CL" "$NS_SV"; do
        now=$(csum_errors "$ns")
        [[ -n $now ]] || fail "no checksum error counters read in $ns"
        [[ $now == "${errs_before[$ns]}" ]] ||
            fail "$1: checksum errors in $ns: before: ${errs_before[$ns]}; after: $now"
    done
    echo "ok: $1: no checksum errors at cl or sv ($(csum_errors "$NS_SV"| wc -w) counters each)"
}

# An address as pol-tcpecho prints it ([IPv6]), as an extended regex.
re_addr() { # addr
    local a=${1//./\\.}
    [[ $a == *:* ]] && a="\\[$a\\]"
    echo "$a"
}

# bulk ADDR TCPPORT UDPPORT PEER what: 2 MB over TCP and 300 UDP datagrams
# through rt, echoed; the server must have seen the client as PEER (a regex
# of ADDR:PORT).  Each flow has a source port of its own from 50000, outside
# the SNAT range: SNAT rewrites every port.
sport=50000
bulk() {
    local addr=$1 tport=$2 uport=$3 peer=$4 what=$5 p out
    errs_mark
    for p in tcp udp; do
        out=$work/bulk-$p.out
        if [[ $p == tcp ]]; then
            echo_connect "$NS_CL" tcp "$addr" "$tport" 1 --sport $((sport++)) --timeout 3000 \
                --bytes $TCP_BYTES >"$out" 2>&1
        else
            echo_connect "$NS_CL" udp "$addr" "$uport" 1 --sport $((sport++)) --timeout 3000 \
                --bytes $UDP_BYTES --size $UDP_SIZE >"$out" 2>&1
        fi || fail "$what: $p to $addr: $(cat "$out"); checksum errors at sv: $(csum_errors "$NS_SV")," \
            "at cl: $(csum_errors "$NS_CL")"
        grep -qE "^ECHOED [0-9]+ bytes in [0-9]+ ms: svu? $peer\$" "$out" ||
            fail "$what: $p to $addr: the server did not see the client as $peer: $(cat "$out")"
        echo "ok: $what: $p $(tail -1 "$out")"
    done
    errs_check "$what"
}

step "routed, no NAT: the offload settings alone make no errors"
bulk $SV4 8080 8081 "$(re_addr $CL4):[0-9]+" "routed IPv4"
bulk $SV6 8080 8081 "$(re_addr $CL6):[0-9]+" "routed IPv6"

step "compile the DNAT and SNAT policies"
compile_text lb >/dev/null <<POL
policy lb {
    attach tc ingress
    default pass
    track
    dnat tcp to $VIP port 80 -> { $SV4:8080 } label web
    dnat udp to $VIP port 81 -> { $SV4:8081 } label udp
    dnat tcp to $VIP6 port 80 -> { [$SV6]:8080 } label web6
    dnat udp to $VIP6 port 81 -> { [$SV6]:8081 } label udp6
}
POL
compile_text gw >/dev/null <<POL
policy gw {
    attach tc egress
    default pass
    track
    snat from 10.3.0.0/24 -> $RT4 port 40000-40999
    snat from fd00:3::/64 -> $RT6 port 40000-40999
}
POL

# DNAT keeps the client's address; SNAT gives the flow a port of its range
SNAT_PORT='4[0-9]{4}'
for mode in partial complete; do
    if [[ $mode == complete ]]; then
        step "the end hosts' tx checksum offload off too: complete checksums in every packet"
        offload "$NS_CL" vc tx off
        offload "$NS_SV" vs tx off
    fi

    step "DNAT ($mode checksums): tc ingress of rc, $VIP and $VIP6 to sv"
    pctl apply "$work/lb.o" --dev rc --netns "$NS_RT"
    expect_attached lb true
    bulk $VIP 80 81 "$(re_addr $CL4):[0-9]+" "dnat IPv4 ($mode)"
    bulk $VIP6 80 81 "$(re_addr $CL6):[0-9]+" "dnat IPv6 ($mode)"
    for r in 1 2 3 4; do expect_counter_ge lb $r 1 >/dev/null; done
    pctl nat -j lb | jq -e '.[0].stats | .nat_no_backend + .nat_no_address + .nat_exhausted
            + .nat_untrackable == 0' >/dev/null || fail "lb counted NAT drops: $(pctl nat lb)"
    pctl detach lb

    step "SNAT ($mode checksums): tc egress of rs, to $RT4 and $RT6 ports 40000-40999"
    pctl apply "$work/gw.o" --dev rs --netns "$NS_RT"
    expect_attached gw true
    bulk $SV4 8080 8081 "$(re_addr $RT4):$SNAT_PORT" "snat IPv4 ($mode)"
    bulk $SV6 8080 8081 "$(re_addr $RT6):$SNAT_PORT" "snat IPv6 ($mode)"
    pctl ct -j gw | jq -e '.[0].flows | map(select(.nat == "snat")) | length >= 4' >/dev/null ||
        fail "polctl ct shows fewer than 4 snat flows: $(pctl ct gw)"
    pctl nat -j gw | jq -e '.[0].stats | .nat_no_backend + .nat_no_address + .nat_exhausted
            + .nat_untrackable == 0' >/dev/null || fail "gw counted NAT drops: $(pctl nat gw)"
    pctl detach gw
done

step "summary: checksum error counters at the end"
echo "  cl: $(csum_errors "$NS_CL")"
echo "  sv: $(csum_errors "$NS_SV")"
echo PASS
