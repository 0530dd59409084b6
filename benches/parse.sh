#!/usr/bin/env bash
# Parse + normalise + gate + aggregate a generated 1M-line IPv4 list and a
# 1M-line domain list with `iocguard check`; print wall time, lines/s and
# peak RSS (median of RUNS runs). Targets: each ≤ 1 s and ≤ 64 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${N:-1000000}
OUT=${BENCH_DIR:-target/bench}
mkdir -p "$OUT"
cargo build --quiet --release --example genfeed
cargo build --quiet --release
BIN=target/release/iocguard
[ -s "$OUT/ipv4-$N.txt" ] || target/release/examples/genfeed ipv4 "$N" 1 > "$OUT/ipv4-$N.txt"
[ -s "$OUT/domains-$N.txt" ] || target/release/examples/genfeed domains "$N" 1 > "$OUT/domains-$N.txt"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for kind in ipv4 domains; do
  f="$OUT/$kind-$N.txt"
  : > "$OUT/$kind.wall"; : > "$OUT/$kind.cpu"; : > "$OUT/$kind.rss"
  for _ in $(seq "$RUNS"); do
    # check exits 1 when lines were rejected (the gate refuses the few
    # generated addresses in protected ranges): that is expected here.
    /usr/bin/time -f '%e %U %S %M' -o "$OUT/time.txt" "$BIN" check --show 0 "$f" > /dev/null || true
    read -r wall user sys rss < <(tail -n1 "$OUT/time.txt")
    echo "$wall" >> "$OUT/$kind.wall"; echo "$rss" >> "$OUT/$kind.rss"
    awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }' >> "$OUT/$kind.cpu"
  done
  wall=$(median < "$OUT/$kind.wall"); cpu=$(median < "$OUT/$kind.cpu"); rss=$(median < "$OUT/$kind.rss")
  rate=$(awk -v n="$N" -v w="$wall" 'BEGIN { if (w > 0) printf "%.0f", n / w; else print "inf" }')
  printf 'parse %-7s %d lines: median wall %ss (cpu %ss), %s lines/s, peak RSS %.1f MB (median of %s; load %s)\n' \
    "$kind" "$N" "$wall" "$cpu" "$rate" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$RUNS" \
    "$(cut -d' ' -f1 /proc/loadavg)"
done
