#!/usr/bin/env bash
# bench/nft.sh: polc against nftables, with real traffic between two network
# namespaces.  Figures and how to read them: bench/NFT.md.
#
#   sudo bench/nft.sh [--quick] [options]
#
# Two namespaces joined by a veth pair.  polc-blast, pinned to CPU 0 in
# namespace A, sends the same crafted frames in the same order for every
# system; in namespace B the receiving veth runs its NAPI poll in a kernel
# thread pinned to CPU 1, and the filter under test runs there:
#
#   none        nothing: every frame goes up the stack (where IP drops it:
#               not for this host, forwarding off)
#   xdp-pass    an XDP program that only returns XDP_PASS
#   xdp-drop    an XDP program that only returns XDP_DROP
#   polc        the generated policy compiled by polc, attached at XDP
#   polc-list   (big-set case) the prefixes as a polc constant list; polc
#               is the named set (set blk : ipv4 prefix { ... })
#   nft-linear  the same rules in order in a netdev table on B's ingress hook
#   nft-set     the same verdicts with interval sets / concatenations
#
# Two senders (--sender): "packet", AF_PACKET sendmmsg (frames are skbs from
# the start, and an XDP program on a veth gets them only after a copy), and
# "xdp", XDP live frames redirected into the veth (frames arrive as XDP
# frames, as from a NIC; the kernel builds an skb for what XDP passes).
#
# For each run: frames the filter saw (its own counters; the device's rx
# counter for none/xdp-*) per second; the receive thread's CPU time (from
# /proc/PID/schedstat) per frame and as a share of the run; the share of
# frames counted by the rule that should decide them.  The sender and the
# receive thread run SCHED_FIFO during a run so that other work on the
# machine does not take their CPUs (the kernel keeps 5 % for others).
#
# Options:
#   --quick               sizes 1,1000, packets first,none, set 1000, 1 s per
#                         run (under 2 minutes)
#   --duration S          seconds per run (default 2, quick 1; at most 60)
#   --sizes LIST          rule counts (default 1,10,100,1000,10000,100000)
#   --packets LIST        frames: first,last,none,mix (default all four; the
#                         xdp sender sends no mix)
#   --flows F             flows of the mix (default 64)
#   --bigset LIST         sizes of the one-big-prefix-set case (default
#                         1000,100000; "none" to skip)
#   --sender S            packet, xdp or both (default both)
#   --rounds R            run every case R times, systems in turn within a
#                         round; the tables show medians and the spread of
#                         ns/frame (default 1)
#   --systems LIST        subset of none,xdp-pass,xdp-drop,polc,polc-list,
#                         nft-linear,nft-set (default all)
#   --compile-timeout S   skip polc for a size whose compile takes longer
#                         (default 60)
#   --linear-max N        skip nft-linear above N rules (default 10000: at
#                         100,000 rules nft took 224 s to load the chain here)
#   --build DIR           build directory (default build-nft); --no-build
#                         uses what is there.  POLC and POLCTL in the
#                         environment override those two binaries.
#   --out FILE            also write the Markdown report to FILE
#
# Every traffic run is bounded by --duration; everything the script creates
# (namespaces, pins under /sys/fs/bpf/polc-nft-PID, a temporary directory)
# is removed on exit, also on failure or interrupt.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cmdline="bench/nft.sh $*"

quick=0 duration="" sizes="" packets="" bigsets="" sender=both flows=64 rounds=1
systems="none,xdp-pass,xdp-drop,polc,polc-list,nft-linear,nft-set"
compile_timeout=60 linear_max=10000 build_dir=$top/build-nft no_build=0 out=""

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
    case $1 in
    --quick) quick=1 ;;
    --duration) duration=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --packets) packets=$2; shift ;;
    --flows) flows=$2; shift ;;
    --bigset) bigsets=$2; shift ;;
    --sender) sender=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --systems) systems=$2; shift ;;
    --compile-timeout) compile_timeout=$2; shift ;;
    --linear-max) linear_max=$2; shift ;;
    --build) build_dir=$2; shift ;;
    --no-build) no_build=1 ;;
    --out) out=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "nft.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
if ((quick)); then
    : "${duration:=1}" "${sizes:=1,1000}" "${packets:=first,none}" "${bigsets:=1000}"
else
    : "${duration:=2}" "${sizes:=1,10,100,1000,10000,100000}" "${packets:=first,last,none,mix}"
    : "${bigsets:=1000,100000}"
fi
[[ $bigsets == none ]] && bigsets=""
case $sender in
packet | xdp) SENDERS=("$sender") ;;
both) SENDERS=(packet xdp) ;;
*) echo "nft.sh: --sender packet, xdp or both" >&2; exit 2 ;;
esac
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "nft.sh: --rounds must be a positive number" >&2; exit 2; }
awk -v d="$duration" 'BEGIN { exit !(d > 0 && d <= 60) }' ||
    { echo "nft.sh: --duration must be in (0, 60]" >&2; exit 2; }
IFS=, read -ra SIZES <<<"$sizes"
IFS=, read -ra PACKETS <<<"$packets"
IFS=, read -ra BIGSETS <<<"$bigsets"
want() { [[ ",$systems," == *",$1,"* ]]; }

if [[ $(id -u) -ne 0 ]]; then
    echo "nft.sh: needs root (namespaces, XDP, nftables)" >&2
    exit 1
fi
for tool in ip nft jq taskset clang awk; do
    command -v "$tool" >/dev/null || { echo "nft.sh: needs $tool" >&2; exit 1; }
done

log() { echo "nft.sh: $*" >&2; }

# ---- build --------------------------------------------------------------------
if ((!no_build)); then
    log "building in $build_dir"
    cmake -S "$top" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOLC_TESTS=OFF >/dev/null
    make -C "$build_dir" -j"$(nproc)" polc polctl polc-blast polc-gen-policy polc-netfeat >/dev/null
fi
POLC=${POLC:-$build_dir/polc}
POLCTL=${POLCTL:-$build_dir/polctl}
BLAST=$build_dir/bench/polc-blast
GEN=$build_dir/bench/polc-gen-policy
NETFEAT=$build_dir/bench/polc-netfeat
for b in "$POLC" "$POLCTL" "$BLAST" "$GEN" "$NETFEAT"; do
    [[ -x $b ]] || { echo "nft.sh: missing $b (build first, or drop --no-build)" >&2; exit 1; }
done

# ---- namespaces -----------------------------------------------------------------
tag=$$
short=$((tag % 100000))
NS_A=pn-a-$tag
NS_B=pn-b-$tag
VA=pna$short
VB=pnb$short
TABLE=polc_bench
root=/sys/fs/bpf/polc-nft-$tag
work=$(mktemp -d /tmp/polc-nft.XXXXXX)
blast_pid=""

cleanup() {
    set +e
    [[ -n $blast_pid ]] && kill "$blast_pid" 2>/dev/null && wait "$blast_pid" 2>/dev/null
    "$POLCTL" --root "$root" detach --all >/dev/null 2>&1
    rmdir "$root" 2>/dev/null
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsa() { ip netns exec "$NS_A" "$@"; }
nsb() { ip netns exec "$NS_B" "$@"; }
pctl() { "$POLCTL" --root "$root" "$@"; }

TX_CPU=0 RX_CPU=1
if (($(nproc) < 2)); then
    log "one CPU: sender and receiver share it; CPU per frame is still the receive thread's own"
    RX_CPU=0
fi
RT=(chrt -f 50)
if ! chrt -f 50 true 2>/dev/null; then
    log "cannot run SCHED_FIFO: other load on the machine will show in the figures"
    RT=()
fi

ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$VA" netns "$NS_A" type veth peer name "$VB" netns "$NS_B"
ip -n "$NS_A" addr add 198.18.0.1/24 dev "$VA"
ip -n "$NS_B" addr add 198.18.0.2/24 dev "$VB"
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set "$VA" up
ip -n "$NS_B" link set "$VB" up
# The receiver polls in NAPI (GRO on; TSO off on the sender so that every skb
# is eligible, see veth_skb_is_eligible_for_gro), in a thread we can pin and
# whose CPU time we can read.  Without that, no-XDP traffic would be
# processed in softirq on the sender's CPU.
nsa "$NETFEAT" "$VA" tso off
nsb "$NETFEAT" "$VB" gro on
threaded=1
nsb sh -c "echo 1 > /sys/class/net/$VB/threaded" 2>/dev/null || threaded=0
((threaded)) || log "threaded NAPI not available: no CPU figures"
MAC_B=$(ip -n "$NS_B" -j link show "$VB" | jq -r '.[0].address')

# The baselines.
for v in drop:1 pass:2; do
    clang -O2 -target bpf -DVERDICT="${v#*:}" -c "$top/bench/traffic/xdp_min.bpf.c" \
        -o "$work/xdp-${v%%:*}.o"
done

napi_pid() {
    ps -eo pid=,comm= | awk -v p="napi/$VB-" 'index($2, p) == 1 { print $1; exit }'
}

# Pin the receive thread (it can be recreated when XDP comes and goes).
pin_napi() {
    local pid
    pid=$(napi_pid)
    if [[ -n $pid ]]; then
        taskset -p -c "$RX_CPU" "$pid" >/dev/null
        ((${#RT[@]})) && chrt -f -p 50 "$pid"
    fi
    echo "$pid"
}

unpin_napi() { # pid: back to SCHED_OTHER between runs
    [[ -n $1 ]] && ((${#RT[@]})) && chrt -o -p 0 "$1" 2>/dev/null
    return 0
}

napi_ns() { # pid
    if [[ -n $1 && -r /proc/$1/schedstat ]]; then awk '{ print $1 }' "/proc/$1/schedstat"; else echo 0; fi
}

# busy and steal ticks of the receiving CPU
cpu_ticks() {
    awk -v c="cpu$RX_CPU" '$1 == c { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat
}

rx_packets() { nsb cat "/sys/class/net/$VB/statistics/rx_packets"; }

# frames the sender's veth could not hand to the peer (XDP sender)
xmit_errors() {
    nsa "$NETFEAT" "$VA" --stats | awk '/xdp_xmit_errors/ { s += $2 } END { print s + 0 }'
}

# ---- systems --------------------------------------------------------------------
declare -A prep_secs skip_cache

# The policy file of a system for a case, generated once.
policy_file() { # kind n format
    local f=$work/$1-$2-$3
    [[ $3 == polc* ]] && f=$f.pol || f=$f.nft
    [[ -s $f ]] || "$GEN" --kind "$1" --rules "$2" --format "$3" --dev "$VB" --table "$TABLE" -o "$f"
    echo "$f"
}

# Compile (or load) a system for kind/n; on failure set skip_reason.
skip_reason=""
install_system() { # sys kind n
    local sys=$1 kind=$2 n=$3 f t0 rc err key=$1-$2-$3
    skip_reason=${skip_cache[$key]:-}
    [[ -n $skip_reason ]] && return 1
    case $sys in
    none) ;;
    xdp-drop | xdp-pass)
        ip -n "$NS_B" link set dev "$VB" xdpdrv obj "$work/$sys.o" sec xdp ;;
    polc | polc-list)
        f=$(policy_file "$kind" "$n" "$sys")
        if ! err=$("$POLC" check "$f" 2>&1); then
            if [[ $kind == bigset && $sys == polc ]]; then
                skip_reason="this polc has no named sets ('set NAME : ipv4 prefix'; polc check rejects it)"
            else
                skip_reason="polc check failed: $(head -1 <<<"$err")"
            fi
        elif [[ ! -s ${f%.pol}.o ]]; then
            t0=$(date +%s.%N)
            rc=0
            # --keep-build: what a killed or failed compile leaves goes with $work.
            timeout "$compile_timeout" "$POLC" compile "$f" -o "${f%.pol}.o" \
                --keep-build "$work/build-$key" >"$work/compile.log" 2>&1 || rc=$?
            rm -rf "$work/build-$key"
            prep_secs[$key]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
            if ((rc == 124)); then
                skip_reason="polc compile took more than ${compile_timeout} s (--compile-timeout)"
            elif ((rc)); then
                skip_reason="polc compile failed (exit $rc): $(head -1 "$work/compile.log")"
            fi
        fi
        if [[ -z $skip_reason ]] &&
            ! err=$(pctl apply "${f%.pol}.o" --dev "$VB" --netns "$NS_B" --name gen 2>&1); then
            skip_reason="polctl apply failed: $(grep -m1 -i error <<<"$err" || head -1 <<<"$err")"
        fi ;;
    nft-linear | nft-set)
        if [[ $sys == nft-linear && $n -gt $linear_max ]]; then
            skip_reason="nft-linear above $linear_max rules (--linear-max): 100,000 rules took 224 s to load here"
        else
            f=$(policy_file "$kind" "$n" "$sys")
            t0=$(date +%s.%N)
            if ! err=$(timeout 300 ip netns exec "$NS_B" nft -f "$f" 2>&1); then
                skip_reason="nft -f failed: $(head -1 <<<"$err")"
            fi
            prep_secs[$key]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        fi ;;
    *) echo "nft.sh: unknown system $sys" >&2; exit 2 ;;
    esac
    if [[ -n $skip_reason ]]; then
        skip_cache[$key]=$skip_reason
        return 1
    fi
}

remove_system() { # sys
    case $1 in
    xdp-drop | xdp-pass) ip -n "$NS_B" link set dev "$VB" xdpdrv off ;;
    polc | polc-list) pctl detach gen >/dev/null ;;
    nft-linear | nft-set) nsb nft delete table netdev "$TABLE" ;;
    esac
}

# "total expected": packets counted by the system's filter, and by the rule
# that should decide the template's frame (-1: nothing to check).
filter_counts() { # sys kind n template
    local sys=$1 kind=$2 n=$3 t=$4 which=""
    if [[ $t != mix && $sys != none && $sys != xdp-* ]]; then
        which=$("$GEN" --kind "$kind" --rules "$n" --format "$sys" --which "$t")
    fi
    case $sys in
    polc | polc-list)
        pctl stats -j gen | jq -r --arg w "$which" '.[0] |
            ([.rules[].packets] + [.reasons[].packets] | add) as $total |
            (if $w == "" then -1
             elif $w == "default" then .reasons.default.packets
             else (.rules[] | select(.id == ($w | tonumber)) | .packets) end) as $exp |
            "\($total) \($exp)"' ;;
    nft-linear | nft-set)
        nsb nft -j list table netdev "$TABLE" | jq -r --arg w "$which" '
            [.nftables[] | select(.rule) | ([.rule.expr[] | select(.counter) | .counter.packets] | add // 0)] as $c |
            "\($c | add) \(if $w == "" then -1 else $c[($w | tonumber) - 1] end)"' ;;
    *)
        echo "$(rx_packets) -1" ;;
    esac
}

# ---- one run ----------------------------------------------------------------------
results=$work/results.tsv
: >"$results"
HZ=$(getconf CLK_TCK)

blast_args() { # sender kind n template
    echo --dev "$VA" --mode "$1" --dst-mac "$MAC_B" --kind "$2" --rules "$3" \
        --template "$4" --flows "$flows" --cpu "$TX_CPU"
}

run_one() { # sender sys kind n template label
    local snd=$1 sys=$2 kind=$3 n=$4 t=$5 label=$6 pid a0 a1 x0 x1 n0 n1 c0 c1 s0 s1 e0=0 e1=0 ns w0 w1
    pid=$(pin_napi)
    # shellcheck disable=SC2046
    nsa "${RT[@]}" "$BLAST" $(blast_args "$snd" "$kind" "$n" "$t") --duration 0.2 >/dev/null
    sleep 0.1
    read -r a0 x0 < <(filter_counts "$sys" "$kind" "$n" "$t")
    [[ $snd == xdp ]] && e0=$(xmit_errors)
    w0=$(date +%s%N)
    read -r c0 s0 < <(cpu_ticks)
    n0=$(napi_ns "$pid")
    # shellcheck disable=SC2046
    nsa "${RT[@]}" "$BLAST" $(blast_args "$snd" "$kind" "$n" "$t") --duration "$duration" -j \
        >"$work/blast.json" &
    blast_pid=$!
    wait "$blast_pid"
    blast_pid=""
    sleep 0.15
    n1=$(napi_ns "$pid")
    read -r c1 s1 < <(cpu_ticks)
    w1=$(date +%s%N)
    unpin_napi "$pid"
    [[ $snd == xdp ]] && e1=$(xmit_errors)
    read -r a1 x1 < <(filter_counts "$sys" "$kind" "$n" "$t")
    ns=-1
    ((threaded)) && [[ -n $pid ]] && ns=$((n1 - n0))
    jq -r --arg snd "$snd" --arg sys "$label" --arg kind "$kind" --arg n "$n" --arg t "$t" \
        --argjson a "$((a1 - a0))" --argjson x "$((x0 < 0 ? -1 : x1 - x0))" \
        --argjson ns "$ns" --argjson busy "$((c1 - c0))" --argjson steal "$((s1 - s0))" \
        --argjson hz "$HZ" --argjson xerr "$((e1 - e0))" --argjson win "$((w1 - w0))" '
        . as $b | ($b.elapsed_s) as $el | ($win / 1e9) as $w |
        [$snd, $kind, $n, $t, $sys,
         ($b.sent / $el | floor), ($a / $el | floor),
         (if $ns < 0 then "-" else ($ns / ($el * 1e9) * 100 | floor) end),
         (if $ns < 0 or $a == 0 then "-" else ($ns / $a | floor) end),
         (if $x < 0 or $a == 0 then "-" else ($x / $a * 1000 | round) / 10 end),
         (($b.refused + $xerr) / ([$b.offered, 1] | max) * 1000 | floor) / 10,
         ($steal / ($w * $hz) * 1000 | floor) / 10,
         ($busy / ($w * $hz) * 100 | floor),
         $b.offered, $a] | @tsv' "$work/blast.json" >>"$results"
    tail -1 "$results" | awk -F'\t' '{ printf "nft.sh: %-6s %-6s %6s %-5s %-10s sent/s %9s  seen/s %9s  rx CPU %3s%%  %6s ns/frame  check %s%%\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' >&2
}

skip_row() { # sender sys kind n reason
    printf '%s\t%s\t%s\t*\t%s\tSKIP\t%s\n' "$1" "$3" "$4" "$2" "$5" >>"$results"
    ((round > 1)) || log "skip $1 $3 $4 $2: $5"
}

run_system() { # sender sys kind n [again]
    if ! install_system "$2" "$3" "$4"; then
        skip_row "$1" "$2" "$3" "$4" "$skip_reason"
        return 0
    fi
    local t label=$2
    [[ ${5:-} == again ]] && label="$2 (again)"
    for t in "${PACKETS[@]}"; do
        # One rule: the last rule is the first.
        [[ $t == last && $4 == 1 ]] && continue
        # The big set is one rule: mix would be first/last/none again.
        [[ $t == mix && $3 == bigset ]] && continue
        # The XDP sender sends one frame per call (see blast.c).
        [[ $t == mix && $1 == xdp ]] && continue
        run_one "$1" "$2" "$3" "$4" "$t" "$label"
    done
    remove_system "$2"
}

# ---- the runs ------------------------------------------------------------------------
t_start=$(date +%s)
log "namespaces $NS_A ($VA) -> $NS_B ($VB); sender on CPU $TX_CPU, receive thread on CPU $RX_CPU; $duration s per run"

for snd in "${SENDERS[@]}"; do
    for ((round = 1; round <= rounds; round++)); do
        # Baselines: no filter, and XDP programs that do nothing, on the
        # frames of the 100-rule policy.
        for sys in none xdp-pass xdp-drop; do
            want "$sys" && run_system "$snd" "$sys" rules 100
        done
        for n in "${SIZES[@]}"; do
            for sys in polc nft-linear nft-set; do
                want "$sys" && run_system "$snd" "$sys" rules "$n"
            done
        done
        for n in "${BIGSETS[@]}"; do
            for sys in polc polc-list nft-linear nft-set; do
                want "$sys" && run_system "$snd" "$sys" bigset "$n"
            done
        done
        # The no-filter baseline again: how much the machine drifted.
        want none && run_system "$snd" none rules 100 again
    done
done
t_total=$(($(date +%s) - t_start))

# ---- report ----------------------------------------------------------------------------
# Thousands separators (mawk has no %'d).
AWK_GROUP='function grp(x,   s, r) {
    if (x !~ /^[0-9]+$/) return x
    s = x ""; r = ""
    while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
    return s r
}
function size(kind, n, sys) {
    return kind == "bigset" ? "set " grp(n) : (sys ~ /^(none|xdp-)/ ? "-" : grp(n))
}'

# One row per case: medians over the rounds, the spread of ns/frame
# ((max - min) / median) in column 16; a skipped case once.
aggregate() {
    awk -F'\t' -v OFS='\t' '
    function median(list,   v, n, i, j, t) {
        n = split(list, v, " ")
        for (i = 2; i <= n; i++) {
            t = v[i] + 0
            for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]
            v[j + 1] = t
        }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    {
        key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4 SUBSEP $5
        if (!(key in seen)) { seen[key] = 1; order[++nk] = key; first[key] = $0 }
        if ($6 == "SKIP") next
        for (c = 6; c <= 15; c++) if ($c != "-") vals[key, c] = vals[key, c] " " $c
        if ($9 != "-") {
            if (!((key, "min") in mm) || $9 < mm[key, "min"]) mm[key, "min"] = $9
            if (!((key, "max") in mm) || $9 > mm[key, "max"]) mm[key, "max"] = $9
        }
        runs[key]++
    }
    END {
        for (i = 1; i <= nk; i++) {
            key = order[i]
            split(first[key], f, "\t")
            if (f[6] == "SKIP") { print first[key]; continue }
            for (c = 6; c <= 15; c++) {
                if (vals[key, c] == "") { f[c] = "-"; continue }
                m = median(vals[key, c])
                f[c] = (c == 10 || c == 11 || c == 12) ? sprintf("%.1f", m) : sprintf("%d", m)
            }
            spread = "-"
            if (runs[key] > 1 && f[9] != "-" && f[9] > 0)
                spread = sprintf("%d", (mm[key, "max"] - mm[key, "min"]) / f[9] * 100)
            f[16] = spread
            line = f[1]
            for (c = 2; c <= 16; c++) line = line OFS f[c]
            print line
        }
    }' "$results"
}

report() {
    local snd k
    echo "## $(date -u +%Y-%m-%dT%H:%MZ): \`$cmdline\`"
    echo
    echo "$(uname -r), $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(nft --version), $("$POLC" version 2>/dev/null | head -1)."
    echo "Sender pinned to CPU $TX_CPU, receive NAPI thread pinned to CPU $RX_CPU$( ((${#RT[@]})) && echo ", both SCHED_FIFO")."
    echo "$duration s per run after 0.2 s of warm-up, $rounds round(s); 60-byte frames (78 for IPv6). Total time: ${t_total} s."
    aggregate >"$work/agg.tsv"
    for k in "${!prep_secs[@]}"; do printf '%s\t%s\n' "$k" "${prep_secs[$k]}"; done >"$work/prep.tsv"
    for snd in "${SENDERS[@]}"; do
        echo
        echo "### sender: $snd"
        echo
        if ((rounds > 1)); then
            echo "| rules | packet | system | sent/s | seen/s | rx CPU | ns/frame | spread | ns ÷ polc | seen ÷ polc | check |"
            echo "|------:|--------|--------|-------:|-------:|-------:|---------:|-------:|----------:|------------:|------:|"
        else
            echo "| rules | packet | system | sent/s | seen/s | rx CPU | ns/frame | ns ÷ polc | seen ÷ polc | check |"
            echo "|------:|--------|--------|-------:|-------:|-------:|---------:|----------:|------------:|------:|"
        fi
        awk -F'\t' -v snd="$snd" -v rounds="$rounds" "$AWK_GROUP"'
        $1 != snd { next }
        {
            key = $2 "/" $3 "/" $4
            if ($5 == "polc" && $6 != "SKIP") { pns[key] = $9; pseen[key] = $7 }
            row[++nr] = $0
        }
        END {
            for (i = 1; i <= nr; i++) {
                split(row[i], f, "\t")
                sz = size(f[2], f[3], f[5])
                if (f[6] == "SKIP") {
                    printf "| %s | all | %s | skipped: %s |||||||\n", sz, f[5], f[7]
                    continue
                }
                key = f[2] "/" f[3] "/" f[4]
                r1 = r2 = "-"
                if ((key in pseen) && f[5] !~ /^(none|xdp-)/) {
                    if (pns[key] != "-" && pns[key] > 0 && f[9] != "-") r1 = sprintf("%.2f", f[9] / pns[key])
                    if (pseen[key] > 0) r2 = sprintf("%.2f", f[7] / pseen[key])
                }
                sp = rounds > 1 ? " " (f[16] == "-" ? "-" : "±" f[16] / 2 "%") " |" : ""
                printf "| %s | %s | %s | %s | %s | %s%% | %s |%s %s | %s | %s |\n", sz, f[4], f[5],
                    grp(f[6]), grp(f[7]), f[8], grp(f[9]), sp, r1, r2, f[10] == "-" ? "-" : f[10] "%"
            }
        }' "$work/agg.tsv"
    done
    echo
    echo "Details: frames the veth refused or dropped (its peer's ring full) as a share of those offered; steal and"
    echo "busy time (/proc/stat, all tasks) of the receiving CPU; policy compile (polc, clang included) or load"
    echo "(nft -f) time."
    echo
    echo "| sender | rules | packet | system | offered | refused | rx CPU steal | rx CPU busy | prepare |"
    echo "|--------|------:|--------|--------|--------:|--------:|-------------:|------------:|--------:|"
    awk -F'\t' "$AWK_GROUP"'
    FILENAME == ARGV[1] { prep[$1] = $2; next }
    $6 != "SKIP" {
        k = $5 "-" $2 "-" $3
        p = (k in prep) ? prep[k] " s" : "-"
        printf "| %s | %s | %s | %s | %s | %s%% | %s%% | %s%% | %s |\n", $1, size($2, $3, $5), $4, $5,
            grp($14), $11, $12, $13, p
    }' "$work/prep.tsv" "$work/agg.tsv"
}

report >"$work/report.md"
cat "$work/report.md"
if [[ -n $out ]]; then cp "$work/report.md" "$out"; fi
exit 0
