#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# polc_test.sh POLC SAMPLE...: polc test and polc explain from the command
# line.
#
#   - every sample's in-file tests pass, in the interpreter and (as root) in
#     the kernel, and cover every rule (--coverage); the same after polc fmt;
#   - JSON and JUnit output say the same;
#   - a wrong expectation fails with the packet, both decisions and exit 1;
#   - without root (or with --interpreter-only) the kernel half is skipped,
#     and said so unless asked for;
#   - polc explain walks the rules, names the set lookups and the deciding
#     rule; bad packets and ambiguous policies are usage errors.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 POLC SAMPLE..." >&2
	exit 2
fi
polc=$1
shift
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() {
	echo "FAIL: $*"
	fail=1
}

root=false
[[ $(id -u) -eq 0 ]] && root=true
want_mode="interpreter only"
$root && want_mode="interpreter and kernel"

echo "--- the samples' own tests ($want_mode)"
"$polc" test --coverage --junit "$tmp/junit.xml" "$@" >"$tmp/out" 2>"$tmp/err"
rc=$?
cat "$tmp/out"
[[ $rc -eq 0 ]] || bad "polc test on the samples: exit $rc: $(cat "$tmp/err")"
grep -q '^FAIL\|^BUG\|^ERROR' "$tmp/out" && bad "a sample's test failed"
for f in "$@"; do
	grep -q "^$f: .* 0 failed ($want_mode)" "$tmp/out" || bad "$f: no summary, or not '$want_mode'"
	line=$(grep "^$f: coverage:" "$tmp/out")
	[[ $line =~ coverage:\ ([0-9]+)\ of\ ([0-9]+) ]] || bad "$f: no coverage line"
	[[ ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" && ${BASH_REMATCH[2]} -gt 0 ]] ||
		bad "$f: not every rule is covered: $line"
done
if ! $root; then
	grep -q "kernel half was skipped" "$tmp/err" || bad "no word that the kernel half was skipped"
fi

echo "--- JUnit and JSON"
tests=$(grep -c '<testcase ' "$tmp/junit.xml")
passed=$(grep -c '<testcase .*/>$' "$tmp/junit.xml")
[[ $tests -gt 0 && $tests -eq $passed ]] || bad "JUnit: $passed of $tests test cases passed"
grep -q '^<testsuites name="polc test" tests="'"$tests"'" failures="0" errors="0">' "$tmp/junit.xml" ||
	bad "JUnit: bad <testsuites> header"
[[ $(grep -c '<testsuite ' "$tmp/junit.xml") -eq $# ]] || bad "JUnit: not one <testsuite> per file"
"$polc" test --format json "$@" >"$tmp/json" 2>/dev/null || bad "polc test --format json failed"
n=$(jq '[.[].tests[]] | length' "$tmp/json")
[[ $n -eq $tests ]] || bad "JSON has $n tests, JUnit $tests"
[[ $(jq '[.[].tests[] | select(.status != "pass")] | length' "$tmp/json") -eq 0 ]] ||
	bad "JSON: a test did not pass"
[[ $(jq "[.[] | select(.kernel != $root)] | length" "$tmp/json") -eq 0 ]] ||
	bad "JSON: kernel is not $root"
[[ $(jq '[.[].tests[].packets[] | select(.interpreter.verdict == null)] | length' "$tmp/json") -eq 0 ]] ||
	bad "JSON: a packet without the interpreter's decision"

echo "--- formatted, the tests still pass"
for f in "$@"; do
	"$polc" fmt "$f" >"$tmp/fmt.pol" || { bad "fmt $f"; continue; }
	"$polc" test --coverage "$tmp/fmt.pol" >"$tmp/fmt.out" 2>&1 ||
		bad "$f formatted: tests fail: $(cat "$tmp/fmt.out")"
done

echo "--- a wrong expectation"
cat >"$tmp/wrong.pol" <<'EOF'
policy p {
    attach xdp
    default drop
    pass tcp to port 80 label web
    pass udp label any-udp
}
test "right" {
    expect pass "tcp 192.0.2.1:40000 -> 192.0.2.2:80 syn" by rule web
}
test "wrong" {
    expect drop "udp 192.0.2.1:40000 -> 192.0.2.2:53"
    expect pass "udp 192.0.2.1:40000 -> 192.0.2.2:53" by rule web
}
EOF
"$polc" test --junit "$tmp/wrong.xml" "$tmp/wrong.pol" >"$tmp/out" 2>/dev/null
rc=$?
cat "$tmp/out"
[[ $rc -eq 1 ]] || bad "a failing test: exit $rc, not 1"
grep -q '^PASS .*: right ' "$tmp/out" || bad "the right test did not pass"
grep -q '^FAIL .*: wrong ' "$tmp/out" || bad "the wrong test did not fail"
grep -q 'wrong.pol:11:5: "udp 192.0.2.1:40000 -> 192.0.2.2:53": expected drop, got pass by rule any-udp (line 5)' "$tmp/out" ||
	bad "the failure does not say the packet and both decisions"
grep -q 'expected pass by rule web (line 4), got pass by rule any-udp' "$tmp/out" ||
	bad "the failure does not name the expected rule"
grep -q 'failures="1"' "$tmp/wrong.xml" || bad "JUnit does not count the failure"
grep -q '<failure message="expected drop' "$tmp/wrong.xml" || bad "JUnit has no <failure>"

echo "--- the kernel half on request"
"$polc" test --interpreter-only "$1" >"$tmp/out" 2>"$tmp/err" || bad "--interpreter-only failed"
grep -q '(interpreter only)' "$tmp/out" || bad "--interpreter-only ran the kernel"
[[ -s $tmp/err ]] && bad "--interpreter-only said something on stderr: $(cat "$tmp/err")"
if $root; then
	# without privileges: the interpreter, and a word that the kernel was skipped
	if command -v setpriv >/dev/null; then
		chmod 755 "$tmp" && chmod 644 "$tmp/wrong.pol"
		setpriv --reuid=65534 --regid=65534 --clear-groups "$polc" test "$tmp/wrong.pol" \
			>"$tmp/out" 2>"$tmp/err"
		rc=$?
		[[ $rc -eq 1 ]] || bad "as nobody: exit $rc"
		grep -q "kernel half was skipped (not running as root)" "$tmp/err" ||
			bad "as nobody: no word that the kernel half was skipped: $(cat "$tmp/err")"
		grep -q '(interpreter only)' "$tmp/out" || bad "as nobody: not the interpreter's results"
	fi
fi

echo "--- polc explain"
cat >"$tmp/ex.pol" <<'EOF'
set blocked : ipv4 prefix { 198.51.100.0/24 }
policy web {
    attach xdp
    default drop
    drop from @blocked label blocklist
    pass tcp to port { 80, 443 } label web
    pass tcp from 192.0.2.0/24 to port 22 label ssh
}
EOF
"$polc" explain "$tmp/ex.pol" 'tcp 203.0.113.5:40000 -> 192.0.2.10:22 syn' >"$tmp/out" || bad "explain failed"
cat "$tmp/out"
grep -q '^  rule 1 .* no: source (203.0.113.5)$' "$tmp/out" || bad "explain: rule 1 does not fail on the source"
grep -q '@blocked (source): 203.0.113.5 is not a member' "$tmp/out" || bad "explain: no set lookup"
grep -q '^  rule 2 .* no: destination port (22)$' "$tmp/out" || bad "explain: rule 2 does not fail on the port"
grep -q '^  rule 3 .* no: source (203.0.113.5)$' "$tmp/out" || bad "explain: rule 3 does not fail on the source"
grep -q '^verdict: drop by default' "$tmp/out" || bad "explain: not dropped by default"
"$polc" explain "$tmp/ex.pol" 'tcp 198.51.100.9:40000 -> 192.0.2.10:443 syn' >"$tmp/out" || bad "explain failed"
grep -q '^verdict: drop by rule 1 blocklist (.*ex.pol:5:5: drop from @blocked label blocklist)' "$tmp/out" ||
	bad "explain: not dropped by the blocklist: $(cat "$tmp/out")"
"$polc" explain "$tmp/ex.pol" 'tcp 203.0.113.5 -> 192.0.2.10:22' >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc -eq 2 && ! -s $tmp/out ]] || bad "explain of a bad packet: exit $rc"
grep -q "needs a port" "$tmp/err" && grep -q '^      \^' "$tmp/err" || bad "explain: no caret under the bad packet: $(cat "$tmp/err")"
"$polc" explain "$tmp/wrong.pol" 'arp 192.0.2.1 -> 192.0.2.2' >"$tmp/out" || bad "explain of arp failed"
grep -q '^verdict: pass by non-ip' "$tmp/out" || bad "explain: arp not passed as non-ip"
"$polc" explain "$1" >/dev/null 2>&1 && bad "explain without a packet succeeded"
printf 'policy a { attach xdp; default pass }\npolicy b { attach xdp; default drop }\n' >"$tmp/two.pol"
"$polc" explain -Wno-empty-policy "$tmp/two.pol" 'udp 192.0.2.1:1 -> 192.0.2.2:2' 2>"$tmp/err" && bad "explain picked one of two policies"
grep -q "say which with --policy" "$tmp/err" || bad "explain: no word about --policy"
"$polc" explain -Wno-empty-policy --policy b "$tmp/two.pol" 'udp 192.0.2.1:1 -> 192.0.2.2:2' >"$tmp/out" || bad "explain --policy failed"
grep -q '^verdict: drop by default' "$tmp/out" || bad "explain --policy b: not b's default"

echo "--- usage"
"$polc" test >/dev/null 2>&1
[[ $? -eq 2 ]] || bad "polc test without a file: not a usage error"
"$polc" test --format xml "$1" >/dev/null 2>&1
[[ $? -eq 2 ]] || bad "an unknown --format: not a usage error"
"$polc" test "$tmp/nosuch.pol" >/dev/null 2>&1
[[ $? -eq 2 ]] || bad "a missing file: not a usage error"

[[ $fail -eq 0 ]] && echo PASS
exit $fail
