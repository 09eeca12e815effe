#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run_case.sh POLC CASES_DIR NAME: one golden test of polc's diagnostics.
#
# Runs, inside CASES_DIR (so file names print as NAME.pol):
#     POLC check NAME.pol            or, when NAME.args exists,
#     POLC <the words of NAME.args>
# and checks that stderr is exactly NAME.expected, stdout is empty and the
# exit code is the one in NAME.rc (1 when there is no NAME.rc).
#
# UPDATE=1 run_case.sh ...  rewrites NAME.expected (and NAME.rc) from what
# polc does now.  Read the result before keeping it.
set -u

if [ $# -ne 3 ]; then
	echo "usage: [UPDATE=1] $0 POLC CASES_DIR NAME" >&2
	exit 2
fi
polc=$1
dir=$2
name=$3

# an absolute path: we run from inside the cases directory
case $polc in
/*) ;;
*) polc=$PWD/$polc ;;
esac
cd "$dir" || exit 2

if [ -f "$name.args" ]; then
	read -r -a args < "$name.args"
else
	args=(check "$name.pol")
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

"$polc" "${args[@]}" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?

if [ "${UPDATE:-0}" = 1 ]; then
	cp "$tmp/stderr" "$name.expected"
	if [ "$rc" -eq 1 ]; then
		rm -f "$name.rc"
	else
		echo "$rc" >"$name.rc"
	fi
	echo "$name: updated (exit $rc)"
	exit 0
fi

want_rc=1
[ -f "$name.rc" ] && want_rc=$(cat "$name.rc")
fail=0

if [ ! -f "$name.expected" ]; then
	echo "$name: no $name.expected (make it with UPDATE=1)"
	exit 1
fi
if ! diff -u --label "$name.expected" --label "stderr of: polc ${args[*]}" \
	"$name.expected" "$tmp/stderr"; then
	fail=1
fi
if [ -s "$tmp/stdout" ]; then
	echo "$name: unexpected output on stdout:"
	cat "$tmp/stdout"
	fail=1
fi
if [ "$rc" != "$want_rc" ]; then
	echo "$name: exit code $rc, expected $want_rc"
	fail=1
fi
[ "$fail" = 0 ] && echo "$name: ok"
exit "$fail"
