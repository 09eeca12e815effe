#!/usr/bin/env bash
# Install what the project needs on a Debian 12 machine, if it is missing.
# Idempotent: a machine that has everything is left untouched (no apt call).
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    clang llvm                       # polc's back end (clang -target bpf)
    libclang-rt-14-dev               # libFuzzer and the sanitizers for clang (tests/fuzz)
    flex bison                       # grammar/
    libbpf-dev libelf-dev zlib1g-dev # runtime/ (libbpf 1.1, libelf)
    libcmocka-dev                    # unit tests
    bpftool iproute2 nftables time   # tests, demo, benchmarks
    iputils-ping netcat-openbsd jq   # real traffic and JSON checks in e2e tests
    ethtool                          # checksum offloads off in e2e tests (natcsum)
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpffs is where polctl pins its state; the kernel normally mounts it.
if [[ $(id -u) -eq 0 ]] && ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
    mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
fi
