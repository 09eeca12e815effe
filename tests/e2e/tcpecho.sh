#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tcpecho: the NAT tests' tool itself, in two namespaces without any policy:
# replies name the server and the peer as the server sees it, over TCP and
# UDP, IPv4 and IPv6; --sport, --hold and the timeouts do what they say;
# --echo and --bytes move bytes both ways and compare them;
# bad arguments exit 2 with a message, failed attempts print ERROR and
# exit 1.
source "$(dirname "$0")/lib.sh"
: "${TCPECHO:?TCPECHO must name the pol-tcpecho binary}"

make_pair
serve_echo "$NS_B" tcp 8080 srv 60
serve_echo "$NS_B" udp 8081 srvu 60

expect_lines() { # file regex count
    local n
    n=$(grep -cE "$2" "$1" || true)
    [[ $n -eq $3 ]] || fail "expected $3 lines matching '$2', got $n: $(cat "$1")"
}

step "tcp and udp, IPv4 and IPv6: the server names itself and the peer"
echo_connect "$NS_A" tcp $B4 8080 3 >"$work/t4" || fail "tcp IPv4: $(cat "$work/t4")"
expect_lines "$work/t4" "^srv $A4:[0-9]+\$" 3
echo_connect "$NS_A" tcp $B6 8080 2 --sport 5000 >"$work/t6" || fail "tcp IPv6: $(cat "$work/t6")"
expect_lines "$work/t6" "^srv \\[$A6\\]:500[01]\$" 2
# the same source ports at once again: the client's reset close leaves no TIME_WAIT
echo_connect "$NS_A" tcp $B6 8080 2 --sport 5000 >"$work/t6b" || fail "tcp IPv6, same ports again: $(cat "$work/t6b")"
cmp -s "$work/t6" "$work/t6b" || fail "the same source ports gave other replies"
echo_connect "$NS_A" udp $B4 8081 2 --sport 6000 >"$work/u4" || fail "udp IPv4: $(cat "$work/u4")"
expect_lines "$work/u4" "^srvu $A4:600[01]\$" 2
echo_connect "$NS_A" udp $B6 8081 1 >"$work/u6" || fail "udp IPv6: $(cat "$work/u6")"
expect_lines "$work/u6" "^srvu \\[$A6\\]:[0-9]+\$" 1
expect_lines "$work/srv.log" "^tcp " 7
expect_lines "$work/srvu.log" "^udp " 3
echo "ok: $(head -1 "$work/t4"); $(head -1 "$work/t6"); $(head -1 "$work/u4"); $(head -1 "$work/u6")"

step "--hold keeps the connection and probes it"
echo_connect "$NS_A" tcp $B4 8080 1 --hold 2 >"$work/h" || fail "tcp hold: $(cat "$work/h")"
expect_lines "$work/h" "^HELD 2 s, 2 probes: srv $A4:[0-9]+\$" 1
echo_connect "$NS_A" udp $B6 8081 1 --hold 1 >"$work/hu" || fail "udp hold: $(cat "$work/hu")"
expect_lines "$work/hu" "^HELD 1 s, 1 probes: srvu " 1
echo "ok: $(tail -1 "$work/h")"

step "--echo and --bytes: bulk data both ways, compared"
serve_echo "$NS_B" tcp 8082 srve 60 --echo
serve_echo "$NS_B" udp 8083 srveu 60 --echo
echo_connect "$NS_A" tcp $B4 8082 2 --bytes 1000000 >"$work/b4" || fail "tcp IPv4 bulk: $(cat "$work/b4")"
expect_lines "$work/b4" "^srve $A4:[0-9]+\$" 2
expect_lines "$work/b4" "^ECHOED 1000000 bytes in [0-9]+ ms: srve $A4:[0-9]+\$" 2
echo_connect "$NS_A" tcp $B6 8082 1 --bytes 1 >"$work/b6" || fail "tcp IPv6 bulk: $(cat "$work/b6")"
expect_lines "$work/b6" "^ECHOED 1 bytes in [0-9]+ ms: srve \\[$A6\\]:[0-9]+\$" 1
echo_connect "$NS_A" udp $B4 8083 1 --bytes 50000 --size 1000 >"$work/bu4" || fail "udp IPv4 bulk: $(cat "$work/bu4")"
expect_lines "$work/bu4" "^ECHOED 50000 bytes in [0-9]+ ms: srveu $A4:[0-9]+\$" 1
# 1201 bytes in datagrams of 1200: 1192 + 9
echo_connect "$NS_A" udp $B6 8083 1 --bytes 1201 >"$work/bu6" || fail "udp IPv6 bulk: $(cat "$work/bu6")"
expect_lines "$work/bu6" "^ECHOED 1201 bytes in [0-9]+ ms: srveu \\[$A6\\]:[0-9]+\$" 1
# a "?" datagram still gets the line from an echo server
echo_connect "$NS_A" udp $B4 8083 1 >"$work/bq" || fail "udp request to an echo server: $(cat "$work/bq")"
expect_lines "$work/bq" "^srveu $A4:[0-9]+\$" 1
set +e
echo_connect "$NS_A" tcp $B4 8080 1 --bytes 1000 --timeout 500 >"$work/bx"
rc1=$?
echo_connect "$NS_A" udp $B4 8081 1 --bytes 1000 --timeout 500 >"$work/bux"
rc2=$?
set -e
[[ $rc1 -eq 1 && $rc2 -eq 1 ]] || fail "--bytes to servers without --echo exited $rc1 $rc2, not 1"
expect_lines "$work/bx" "^ERROR echo: byte 0 came back as 0x[0-9a-f]{2}, sent 0x[0-9a-f]{2}\$" 1
expect_lines "$work/bux" "^ERROR echo: datagram 0 of 1 not back within 500 ms" 1
echo "ok: $(tail -1 "$work/b4"); $(tail -1 "$work/bu4"); without --echo: $(tail -1 "$work/bx")"

step "failures: ERROR lines and exit 1, bounded by --timeout"
set +e
echo_connect "$NS_A" tcp $B4 8099 2 --timeout 500 >"$work/e1"
rc1=$?
start=$(date +%s%N)
echo_connect "$NS_A" tcp 10.77.0.9 8080 1 --timeout 400 >"$work/e2"   # no such host: no answer
rc2=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo_connect "$NS_A" udp $B4 8099 1 --timeout 500 >"$work/e3"
rc3=$?
set -e
[[ $rc1 -eq 1 && $rc2 -eq 1 && $rc3 -eq 1 ]] || fail "failed attempts exited $rc1 $rc2 $rc3, not 1"
expect_lines "$work/e1" "^ERROR connect: Connection refused\$" 2
expect_lines "$work/e2" "^ERROR connect: " 1
expect_lines "$work/e3" "^ERROR " 1
((ms < 3000)) || fail "a connect with --timeout 400 took $ms ms"
echo "ok: $(head -1 "$work/e1"); $(cat "$work/e2") ($ms ms); $(cat "$work/e3")"

step "bad arguments: a message and exit 2"
for args in "" "bogus" "serve" "serve sctp 80 x" "serve tcp 0 x" "serve tcp 80 x --lifetime" \
    "serve tcp 80 x --lifetime 0" "connect tcp" "connect tcp $B4 80 0" "connect tcp $B4 80 1x" \
    "connect tcp nohost 80 1" "connect tcp $B4 80 2 --sport 65535" "connect tcp $B4 80 1 --timeout" \
    "connect udp $B4 80 1 --hold -1" "connect tcp $B4 80 1 --frob 1" "connect tcp $B4 80 1 --bytes 0" \
    "connect tcp $B4 80 1 --bytes 10 --hold 1" "connect tcp $B4 80 1 --bytes 10 --size 100" \
    "connect udp $B4 80 1 --size 100" "connect udp $B4 80 1 --bytes 10 --size 8" "serve udp 80 x --echo 1"; do
    set +e
    # shellcheck disable=SC2086
    timeout 5 "$TCPECHO" $args >/dev/null 2>"$work/err"
    rc=$?
    set -e
    [[ $rc -eq 2 ]] || fail "'pol-tcpecho $args' exited $rc, not 2"
    [[ -s $work/err ]] || fail "'pol-tcpecho $args' printed no message"
done
echo "ok: 21 bad command lines refused"
echo PASS
