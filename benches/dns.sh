#!/usr/bin/env bash
# DNS sinkhole against its anchor, dnsmasq, in the same run, alternating:
#   blocked qps:   N listed domains (genfeed), queries for listed names
#   forwarded qps: queries for a zone that a second dnsmasq (the upstream,
#                  on loopback) answers from --address
#   memory:        VmRSS with M listed domains (iocguard: after the load;
#                  dnsmasq: once it answers), and iocguard's load time
# dnsperf (Debian package), 4 clients, loopback. Prints medians and ratios.
# Needs dnsmasq, dnsperf, dig; skips with a notice when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}          # listed domains for the qps runs
M=${M:-1000000}         # listed domains for the memory run
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-10}
OUT=${BENCH_DIR:-target/bench}/dns
for t in dnsmasq dnsperf dig; do
  command -v "$t" >/dev/null 2>&1 || { echo "dns bench: $t missing (apt-get install dnsmasq-base dnsperf dnsutils); skipped"; exit 0; }
done
mkdir -p "$OUT"
cargo build --quiet --release --example genfeed
cargo build --quiet --release
BIN=$PWD/target/release/iocguard
GEN=target/release/examples/genfeed
P_UP=25301; P_DM=25302; P_IG=25303

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Lists, dnsmasq configs and query files (deterministic).
for n in "$N" "$M"; do
  [ -s "$OUT/domains-$n.txt" ] || $GEN domains "$n" 1 > "$OUT/domains-$n.txt"
  [ -s "$OUT/dnsmasq-$n.conf" ] || sed 's|.*|address=/&/|' "$OUT/domains-$n.txt" > "$OUT/dnsmasq-$n.conf"
done
awk 'NR % 10 == 1 { print $1 " A" }' "$OUT/domains-$N.txt" > "$OUT/q-blocked.txt"
seq 1 10000 | awk '{ print "h" $1 ".fwd.test A" }' > "$OUT/q-forwarded.txt"

# A config + last-good cache for iocguard with list $1 on port $2.
setup_ig() { # list port dir
  local d=$3; rm -rf "$d"; mkdir -p "$d/state" "$d/run"
  cat > "$d/config" <<EOF
config iocguard 'main'
	option state_dir '$d/state'
	option run_dir '$d/run'
config dns 'dns'
	option mode 'front'
	list listen '127.0.0.1:$2'
	list upstream '127.0.0.1:$P_UP'
	option rate_limit '0'
config feed 'bench'
	option url '$PWD/$1'
	option max_entries '2000000'
	option max_bytes '268435456'
EOF
  "$BIN" --config "$d/config" sync > /dev/null
}
wait_answer() { # port
  for _ in $(seq 600); do
    dig +tries=1 +time=1 @127.0.0.1 -p "$1" h1.fwd.test A > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "dns bench: server on port $1 never answered" >&2; return 1
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
qps() { # port queryfile
  dnsperf -s 127.0.0.1 -p "$1" -d "$2" -c 4 -l "$SECS" -q 200 2>/dev/null \
    | awk '/Queries per second/ { print int($4) }'
}

# The upstream for forwarded queries.
dnsmasq --no-daemon --conf-file=/dev/null --port=$P_UP --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --address=/fwd.test/198.51.100.1 -k > "$OUT/upstream.log" 2>&1 &
pids+=($!)

# qps: dnsmasq (N address= entries, forwarding to the upstream, no cache)
# and iocguard (N listed domains), both up for the whole run.
dnsmasq --no-daemon --conf-file="$OUT/dnsmasq-$N.conf" --port=$P_DM --listen-address=127.0.0.1 \
  --bind-interfaces --no-resolv --no-hosts --server=127.0.0.1#$P_UP --cache-size=0 -k > "$OUT/dnsmasq.log" 2>&1 &
pids+=($!)
setup_ig "$OUT/domains-$N.txt" $P_IG "$PWD/$OUT/ig-$N"
"$BIN" --config "$OUT/ig-$N/config" -v run > "$OUT/ig-$N.log" 2>&1 &
pids+=($!)
wait_answer $P_UP; wait_answer $P_DM; wait_answer $P_IG
: > "$OUT/r.txt"
for r in $(seq "$ROUNDS"); do
  for kind in blocked forwarded; do
    for who in dnsmasq iocguard; do
      port=$P_DM; [ $who = iocguard ] && port=$P_IG
      echo "$kind $who $(qps $port "$OUT/q-$kind.txt")" >> "$OUT/r.txt"
    done
  done
  echo "round $r: $(grep -c . "$OUT/r.txt") runs (load $(cut -d' ' -f1 /proc/loadavg))"
done
cleanup; pids=()
# Restart the upstream for the memory part (wait_answer needs it).
dnsmasq --no-daemon --conf-file=/dev/null --port=$P_UP --listen-address=127.0.0.1 --bind-interfaces \
  --no-resolv --no-hosts --address=/fwd.test/198.51.100.1 -k > "$OUT/upstream.log" 2>&1 &
pids+=($!)

for kind in blocked forwarded; do
  d=$(awk -v k=$kind '$1==k && $2=="dnsmasq" {print $3}' "$OUT/r.txt" | median)
  i=$(awk -v k=$kind '$1==k && $2=="iocguard" {print $3}' "$OUT/r.txt" | median)
  printf 'dns %-9s qps (N=%s, dnsperf -c 4 -q 200 -l %s, median of %s): dnsmasq %s, iocguard %s, ratio %s\n' \
    $kind "$N" "$SECS" "$ROUNDS" "$d" "$i" "$(awk -v a="$i" -v b="$d" 'BEGIN { printf "%.2f", a / b }')"
done

# Memory and load time with M domains.
dnsmasq --no-daemon --conf-file="$OUT/dnsmasq-$M.conf" --port=$P_DM --listen-address=127.0.0.1 \
  --bind-interfaces --no-resolv --no-hosts --server=127.0.0.1#$P_UP -k > "$OUT/dnsmasq-m.log" 2>&1 &
dm=$!; pids+=($dm)
wait_answer $P_DM
dm_rss=$(rss_kb $dm)
kill $dm
setup_ig "$OUT/domains-$M.txt" $P_IG "$PWD/$OUT/ig-$M"
# The router ships the static musl binary (musl's malloc returns freed
# large blocks to the kernel; glibc keeps some of the load's garbage):
# measure both when the musl target is installed.
bins=("$BIN")
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
  CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-gcc} \
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
    cargo build --quiet --release --target x86_64-unknown-linux-musl && \
    bins+=("$PWD/target/x86_64-unknown-linux-musl/release/iocguard")
fi
for b in "${bins[@]}"; do
  "$b" --config "$OUT/ig-$M/config" -v run > "$OUT/ig-$M.log" 2>&1 &
  ig=$!; pids+=($ig)
  wait_answer $P_IG
  ig_rss=$(rss_kb $ig)
  kill $ig; wait $ig 2>/dev/null || true
  load=$(grep -o 'entries in [0-9.]* s' "$OUT/ig-$M.log" | awk '{print $3}')
  index=$(grep -o 'indexed in [0-9.]* s' "$OUT/ig-$M.log" | awk '{print $3}')
  libc=glibc; case $b in *musl*) libc=musl-static;; esac
  printf 'dns memory (M=%s listed): dnsmasq VmRSS %.1f MB, iocguard (%s) VmRSS %.1f MB, ratio %s; load %s s + index %s s (load avg %s)\n' \
    "$M" "$(awk -v k="$dm_rss" 'BEGIN{print k/1024}')" "$libc" "$(awk -v k="$ig_rss" 'BEGIN{print k/1024}')" \
    "$(awk -v a="$ig_rss" -v b="$dm_rss" 'BEGIN { printf "%.2f", a / b }')" "$load" "$index" "$(cut -d' ' -f1 /proc/loadavg)"
done
