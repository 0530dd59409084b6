#!/usr/bin/env bash
# The host log (issue 10):
#   throughput: examples/hostbench.rs — NFLOG-shaped netlink messages →
#               decoder → ip_event (100k listed IPv4 + 2k IPv6) →
#               HostLog::record, for a realistic mix (300 LAN hosts) and a
#               spoofed-MAC flood into a 4096-host table; decode-only in
#               the same run as the anchor. events/s and VmHWM/VmRSS after
#               10k, 100k and 1M events, medians of RUNS runs.
#   footprint:  idle VmRSS of `iocguard run` (static musl build, what the
#               router runs) with 100k listed IPs + 100k listed domains in
#               its last-good cache and 4096 hosts in its table.
# hostbench exits non-zero when a run did not do what it was asked
# (events recorded = sent, hosts and evictions as expected), and so does
# this script. The footprint part is skipped with a notice when the musl
# target or dig is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
N=${N:-1000000}
OUT=${BENCH_DIR:-target/bench}/hosts
PORT=${PORT:-25311}
GOAL_EPS=100000
GOAL_RSS_KB=10240
mkdir -p "$OUT"
cargo build --quiet --release --example hostbench --example genfeed
HB=target/release/examples/hostbench
GEN=target/release/examples/genfeed

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# field FILE KEY [FILTER…]: KEY's values on the lines matching every FILTER.
field() {
  local f=$1 k=$2; shift 2
  local l
  l=$(cat "$f")
  for m in "$@"; do l=$(grep -F -- " $m " <<< "$l " || true); done
  grep -o " $k=[0-9.]*" <<< "$l" | cut -d= -f2
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# --- Throughput ---------------------------------------------------------
: > "$OUT/r.txt"
for r in $(seq "$RUNS"); do
  # Alternate the order so that drift of the shared machine hits both.
  for mix in real flood; do
    modes="decode record"; [ $((r % 2)) = 0 ] && modes="record decode"
    for mode in $modes; do
      if ! "$HB" "$mode" "$mix" "$N" > "$OUT/one.txt"; then
        echo "hosts bench: hostbench $mode $mix $N failed (see above)" >&2; exit 1
      fi
      sed 's/$/ /' "$OUT/one.txt" >> "$OUT/r.txt"
    done
  done
  echo "round $r of $RUNS done (load $(cut -d' ' -f1 /proc/loadavg))"
done
for mix in real flood; do
  start=$(field "$OUT/r.txt" vm_hwm_kb mode=record "mix=$mix" stage=start | median)
  echo "hosts $mix, after building the index (100k+2k listed, before any event): VmHWM $(mb "$start") MB"
  for ev in 10000 100000 1000000; do
    [ "$ev" -le "$N" ] || continue
    rec=$(field "$OUT/r.txt" eps mode=record "mix=$mix" "events=$ev" | median)
    dec=$(field "$OUT/r.txt" eps mode=decode "mix=$mix" "events=$ev" | median)
    hwm=$(field "$OUT/r.txt" vm_hwm_kb mode=record "mix=$mix" "events=$ev" | median)
    rss=$(field "$OUT/r.txt" vm_rss_kb mode=record "mix=$mix" "events=$ev" | median)
    hosts=$(field "$OUT/r.txt" hosts mode=record "mix=$mix" "events=$ev" | median)
    bytes=$(field "$OUT/r.txt" log_bytes mode=record "mix=$mix" "events=$ev" | median)
    goal=met; [ "$rec" -ge $GOAL_EPS ] || goal=MISSED
    printf 'hosts %-5s %7s events: record %s ev/s, decode-only %s ev/s (decode/record %s), VmHWM %s MB, VmRSS %s MB, %s hosts, event log %s B/event; goal >= %s ev/s %s\n' \
      "$mix" "$ev" "$rec" "$dec" "$(awk -v a="$dec" -v b="$rec" 'BEGIN { printf "%.1f", a / b }')" \
      "$(mb "$hwm")" "$(mb "$rss")" "$hosts" "$(awk -v a="$bytes" -v b="$ev" 'BEGIN { printf "%.0f", a / b }')" \
      $GOAL_EPS $goal
  done
done

# --- Footprint ------------------------------------------------------------
if ! rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
  echo "hosts footprint: x86_64-unknown-linux-musl missing (rustup target add x86_64-unknown-linux-musl); skipped"
  exit 0
fi
command -v dig > /dev/null 2>&1 || { echo "hosts footprint: dig missing (apt-get install dnsutils); skipped"; exit 0; }
# As in dns.sh: no musl-gcc needed (ring's C is built with gcc, linked by rust-lld).
CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-gcc} \
CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
  cargo build --quiet --release --target x86_64-unknown-linux-musl
BIN=$PWD/target/x86_64-unknown-linux-musl/release/iocguard
[ -s "$OUT/ipv4.txt" ] || $GEN ipv4 100000 1 > "$OUT/ipv4.txt"
[ -s "$OUT/domains.txt" ] || $GEN domains 100000 1 > "$OUT/domains.txt"
d=$PWD/$OUT/ig
rm -rf "$d"; mkdir -p "$d/state" "$d/run"
cat > "$d/config" <<EOF
config iocguard 'main'
	option state_dir '$d/state'
	option run_dir '$d/run'
	option host_capacity '4096'
config dns 'dns'
	option mode 'front'
	list listen '127.0.0.1:$PORT'
	option rate_limit '0'
config feed 'ipv4'
	option url '$PWD/$OUT/ipv4.txt'
config feed 'domains'
	option url '$PWD/$OUT/domains.txt'
EOF
# --no-apply: the cache only; this host's ruleset is not touched.
"$BIN" --config "$d/config" sync --no-apply > "$OUT/sync.txt"

pid=
cleanup() { [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; }
trap cleanup EXIT
: > "$OUT/rss.txt"
for r in $(seq "$RUNS"); do
  # A fresh table each start: the daemon rewrites its snapshot at stop.
  $HB snapshot 4096 > "$d/state/hosts.json"
  rm -f "$d/state/acks.jsonl"
  "$BIN" --config "$d/config" -v run > "$OUT/run.log" 2>&1 &
  pid=$!
  up=
  # Any answer will do (no upstream: SERVFAIL); not a listed name, which
  # would add a host and evict one.
  for _ in $(seq 600); do
    if dig +tries=1 +time=1 @127.0.0.1 -p "$PORT" up.iocguard.invalid A > /dev/null 2>&1; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$up" ] || { echo "hosts footprint: daemon never answered on port $PORT" >&2; cat "$OUT/run.log" >&2; exit 1; }
  hosts=$("$BIN" --config "$d/config" hosts --json | grep -o '"stats":{"hosts":[0-9]*' | cut -d: -f3)
  [ "$hosts" = 4096 ] || { echo "hosts footprint: table holds ${hosts:-nothing}, not 4096 hosts" >&2; exit 1; }
  sleep 5
  rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
  echo "$rss $hwm" >> "$OUT/rss.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
rss=$(cut -d' ' -f1 "$OUT/rss.txt" | median)
hwm=$(cut -d' ' -f2 "$OUT/rss.txt" | median)
goal=met; [ "$rss" -le $GOAL_RSS_KB ] || goal=MISSED
printf 'hosts footprint (musl-static, 100k IPv4 + 100k domains listed, 4096 hosts, 5 s idle, median of %s): VmRSS %s MB (VmHWM %s MB); goal <= %s MB %s\n' \
  "$RUNS" "$(mb "$rss")" "$(mb "$hwm")" "$(mb $GOAL_RSS_KB)" $goal
