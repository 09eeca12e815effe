#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# cli.sh POLC FILE...: polc fmt from the command line, on every FILE.
#
# For each file that parses:
#   - polc fmt prints it, and formatting that output changes nothing;
#   - polc fmt --check says nothing (exit 0) on the output, and on the file,
#     when it is not formatted, exits 1 with a diff that patch(1) turns
#     into the formatted file;
#   - polc fmt -w rewrites a copy into the same bytes, keeps its mode, and
#     leaves a formatted file alone (same mtime); through a symlink it
#     rewrites the target and the link stays a link;
#   - polc fmt - reads stdin;
#   - polc check says the same of the file and of its formatted form.
# A file with syntax errors is refused: exit 1, errors on stderr, nothing on
# stdout.  Then the usage errors.
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 POLC FILE..." >&2
	exit 2
fi
polc=$1
shift
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fail=0
formatted=0
refused=0

bad() {
	echo "FAIL: $*"
	fail=1
}

for f in "$@"; do
	name=$(basename "$f")
	"$polc" fmt "$f" >"$tmp/a.pol" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ]; then
		grep -q 'error:' "$tmp/err" || bad "$name: exit 1 without an error"
		[ -s "$tmp/a.pol" ] && bad "$name: refused, but printed something"
		refused=$((refused + 1))
		continue
	fi
	if [ "$rc" != 0 ] || [ -s "$tmp/err" ]; then
		bad "$name: polc fmt exited $rc"
		cat "$tmp/err"
		continue
	fi
	formatted=$((formatted + 1))

	"$polc" fmt "$tmp/a.pol" >"$tmp/b.pol" || bad "$name: formatting the output failed"
	cmp -s "$tmp/a.pol" "$tmp/b.pol" || bad "$name: fmt is not idempotent"

	out=$("$polc" fmt --check "$tmp/a.pol" 2>&1) || bad "$name: --check refuses its own output"
	[ -z "$out" ] || bad "$name: --check printed on formatted input: $out"

	if ! cmp -s "$f" "$tmp/a.pol"; then
		"$polc" fmt --check "$f" >"$tmp/diff" 2>"$tmp/err"
		rc=$?
		[ "$rc" = 1 ] || bad "$name: --check exited $rc on an unformatted file"
		head -n 1 "$tmp/diff" | grep -q "^--- $f\$" || bad "$name: --check printed no diff"
		grep -q 'not in canonical form' "$tmp/err" || bad "$name: --check said nothing on stderr"
		if command -v patch >/dev/null; then
			patch -s -o "$tmp/patched" "$f" <"$tmp/diff" >/dev/null 2>&1 ||
				bad "$name: the diff does not apply"
			cmp -s "$tmp/patched" "$tmp/a.pol" || bad "$name: the diff does not give the formatted file"
			rm -f "$tmp/patched"
		fi
	fi

	cp "$f" "$tmp/w.pol"
	chmod 640 "$tmp/w.pol"
	"$polc" fmt -w "$tmp/w.pol" || bad "$name: -w failed"
	cmp -s "$tmp/w.pol" "$tmp/a.pol" || bad "$name: -w wrote something else"
	[ "$(stat -c %a "$tmp/w.pol")" = 640 ] || bad "$name: -w changed the mode"
	touch -d @1000000000 "$tmp/w.pol"
	"$polc" fmt -w "$tmp/w.pol" || bad "$name: -w failed on a formatted file"
	[ "$(stat -c %Y "$tmp/w.pol")" = 1000000000 ] || bad "$name: -w rewrote a formatted file"

	"$polc" fmt - <"$f" >"$tmp/c.pol" || bad "$name: fmt - failed"
	cmp -s "$tmp/c.pol" "$tmp/a.pol" || bad "$name: fmt - differs from fmt FILE"

	"$polc" check "$f" >/dev/null 2>&1
	rc1=$?
	"$polc" check "$tmp/a.pol" >/dev/null 2>&1
	rc2=$?
	[ "$rc1" = "$rc2" ] || bad "$name: polc check exits $rc1, on the formatted file $rc2"
	rm -f "$tmp/w.pol" "$tmp/b.pol" "$tmp/c.pol" "$tmp/diff"
done

# -w through a symlink: the target changes, the link stays
printf 'policy p { attach xdp; default drop }\n' >"$tmp/target.pol"
ln -s target.pol "$tmp/link.pol"
"$polc" fmt -w "$tmp/link.pol" || bad "-w through a symlink failed"
[ -L "$tmp/link.pol" ] || bad "-w replaced the symlink"
grep -q '^    attach xdp$' "$tmp/target.pol" || bad "-w did not format the symlink's target"
ls -A "$tmp" | grep -q fmt- && bad "-w left a temporary file"

# usage errors: exit 2
printf 'policy p { attach xdp; default drop }\n' >"$tmp/p.pol"
for args in "fmt" "fmt -w --check $tmp/p.pol" "fmt -w -" "fmt $tmp/nonexistent.pol" \
	"fmt $tmp/p.pol $tmp/p.pol"; do
	# shellcheck disable=SC2086
	"$polc" $args </dev/null >/dev/null 2>&1
	rc=$?
	[ "$rc" = 2 ] || bad "polc $args: exit $rc, expected 2"
done

echo "fmt cli: $formatted files formatted, $refused refused (syntax errors)"
[ "$formatted" -ge 10 ] || bad "too few files formatted"
exit "$fail"
