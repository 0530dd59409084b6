#!/usr/bin/env bash
# Cross-check (issue 15): the same commands' memory on aarch64 (static
# musl build under qemu-aarch64) and on x86_64 (static musl, native).
# qemu-user maps the guest's memory into its own process, so the guest's
# touched pages are in the qemu process's RSS, on top of qemu's own
# (translator, code cache). Each command's peak RSS is therefore compared
# as its growth over `iocguard --version` run the same way: the program's
# own data, whatever runs it. Passes when every aarch64 growth is within
# TOL % (10) of x86_64's. Needs qemu-aarch64 (qemu-user) and the aarch64
# cross toolchain of cross/ (see cross/README.md).
# Knobs: N (1000000), TOL (10).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
TOL=${TOL:-10}
command -v qemu-aarch64 >/dev/null || { echo "qemu_rss: qemu-aarch64 missing (apt-get install qemu-user); skipped"; exit 0; }
ARM=$(cross/build.sh aarch64-unknown-linux-musl | tail -n 1)
CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-gcc} \
CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
  cargo build --release --locked -q --target x86_64-unknown-linux-musl --bin iocguard --example genfeed
X86=$PWD/target/x86_64-unknown-linux-musl/release/iocguard
GEN=$PWD/target/x86_64-unknown-linux-musl/release/examples/genfeed
DATA=$(mktemp -d /tmp/iocg-qemu.XXXXXX)
trap 'rm -rf "$DATA"' EXIT

"$GEN" ipv4 "$N" 5 >"$DATA/v4.txt"
"$GEN" domains "$N" 6 >"$DATA/d.txt"
echo "loaded: $(wc -l <"$DATA/v4.txt") IPv4 lines, $(wc -l <"$DATA/d.txt") domain lines; aarch64 binary $ARM"
config() { # DIR
  mkdir -p "$1/state" "$1/run"
  printf "config iocguard 'main'\n\toption state_dir '%s'\n\toption run_dir '%s'\nconfig dns 'dns'\n\toption enabled '0'\n" "$1/state" "$1/run" >"$1/config"
  printf "config feed 'v4'\n\toption url '%s'\n\toption max_entries '3000000'\n\toption max_bytes '268435456'\n" "$DATA/v4.txt" >>"$1/config"
  printf "config feed 'd'\n\toption url '%s'\n\toption max_entries '3000000'\n\toption max_bytes '268435456'\n" "$DATA/d.txt" >>"$1/config"
}
# peak RUNNER… → RSS kB (exit codes 0 and 1 are answers; more is a failure)
peak() {
  local rc=0
  /usr/bin/time -f '%M' -o "$DATA/t" "$@" >"$DATA/out" 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { echo "qemu_rss: '$*' exited $rc" >&2; cat "$DATA/out" >&2; exit 1; }
  tail -n 1 "$DATA/t"  # after "Command exited with non-zero status 1" when check says 1
}
FAILED=0
printf '%-34s %14s %14s %8s\n' command "x86_64 +kB" "aarch64 +kB" "diff"
x0=$(peak "$X86" --version); a0=$(peak qemu-aarch64 "$ARM" --version)
echo "baseline (--version): x86_64 $x0 kB, aarch64 under qemu $a0 kB"
run() { # NAME ARGS… (the config is prepared fresh for each runner)
  local name=$1; shift
  rm -rf "$DATA/x" "$DATA/a"; config "$DATA/x"; config "$DATA/a"
  local x a
  x=$(peak "$X86" --config "$DATA/x/config" "$@")
  a=$(peak qemu-aarch64 "$ARM" --config "$DATA/a/config" "$@")
  local dx=$((x - x0)) da=$((a - a0))
  local pct
  pct=$(awk -v a="$da" -v b="$dx" 'BEGIN { printf "%+.1f", (a - b) * 100 / b }')
  printf '%-34s %14s %14s %7s%%\n' "$name" "$dx" "$da" "$pct"
  awk -v p="$pct" -v t="$TOL" 'BEGIN { exit !(p <= t && p >= -t) }' || { echo "FAILED: $name differs by more than $TOL %"; FAILED=1; }
}
run "check --show 0 (IPv4 feed)" check --show 0 "$DATA/v4.txt"
run "check --show 0 (domain feed)" check --show 0 "$DATA/d.txt"
run "sync --no-apply (both feeds)" sync --no-apply
[ "$FAILED" = 0 ] || exit 1
echo "qemu_rss: aarch64 within $TOL % of x86_64"
