#!/usr/bin/env bash
# Footprint benchmarks (issue 15; root, nft, dnsmasq, dig): each figure is
# a ratio against its anchor measured in the same run.
#  1. IPv4, N lines (70 % hosts, 30 % /24–/31, benches/gen_feed.py):
#     `nft -f` into an interval set (anchor), the loader alone into the
#     hash+interval sets (kernel floor, examples/nft_load.rs),
#     `iocguard apply --feed` and a first `iocguard sync`; each in a fresh
#     network namespace. Wall time and whole-process-tree peak RSS from
#     /usr/bin/time -v.
#  2. Incremental sync: a 100k feed synced, then a copy with 1 % of the
#     entries replaced, alternately; whole command and kernel update.
#  3. Domains, N random names (genfeed): dnsmasq with the same N
#     `local=/…/` lines (anchor) vs `iocguard run`, glibc and static musl
#     builds: time from start to the first answer for a listed name,
#     VmRSS 3 s later, VmHWM; and `iocguard sync` of the feed.
#  4. Growth (full mode): `iocguard sync --no-apply` of 10k … 2M IPv4,
#     IPv6 and domain lines: wall time and peak RSS.
# BENCH_QUICK=1: N=100000, one run, no growth table; checks the quick
# limits below and exits 1 when one is missed (for CI).
# Knobs: N (1000000), RUNS (3), SIZES ("10000 100000 1000000 2000000").
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then N=${N:-100000}; RUNS=${RUNS:-1}; else N=${N:-1000000}; RUNS=${RUNS:-3}; fi
SIZES=${SIZES:-"10000 100000 1000000 2000000"}
PORT=${PORT:-25421}
NS="iocg-fp-$$"
DATA=$(mktemp -d /tmp/iocg-fp.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT
for t in nft dnsmasq dig python3; do
  command -v "$t" >/dev/null || { echo "footprint bench: $t missing" >&2; exit 1; }
done

cargo build --release --locked -q --bin iocguard --example nft_load --example genfeed
BIN=$PWD/target/release/iocguard
LOADER=$PWD/target/release/examples/nft_load
GEN=$PWD/target/release/examples/genfeed
MUSL=
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
  CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-gcc} \
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld \
    cargo build --release --locked -q --target x86_64-unknown-linux-musl --bin iocguard
  MUSL=$PWD/target/x86_64-unknown-linux-musl/release/iocguard
fi
FAILED=0
fail() { echo "FAILED: $*"; FAILED=1; }

fresh_ns() {
  ip netns del "$NS" 2>/dev/null || true
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  rm -rf "$DATA/run" "$DATA/state"
}

# measure CMD… → WALL (s), RSS (kB, the largest process of the tree)
measure() {
  /usr/bin/time -v -o "$DATA/time" "$@" >"$DATA/out" 2>&1 || { echo "command failed: $*"; cat "$DATA/out" "$DATA/time"; exit 1; }
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$DATA/time")
  RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DATA/time")
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# ok A OP B: awk comparison of two numbers
ok() { awk -v a="$1" -v b="$3" "BEGIN { exit !(a $2 b) }"; }

# config DIR FEED… : a configuration with one feed per file, DNS on $PORT
config() {
  local d=$1; shift
  mkdir -p "$d/state" "$d/run"
  {
    printf "config iocguard 'main'\n\toption state_dir '%s'\n\toption run_dir '%s'\n\toption force_dns '0'\n" "$d/state" "$d/run"
    printf "config dns 'dns'\n\toption mode 'front'\n\tlist listen '127.0.0.1:%s'\n\toption rate_limit '0'\n" "$PORT"
    local i=0
    for f in "$@"; do
      i=$((i + 1))
      # 2M-line feeds: the default max_entries (1,000,000) would refuse them.
      printf "config feed 'f%s'\n\toption url '%s'\n\toption max_entries '3000000'\n\toption max_bytes '268435456'\n" "$i" "$f"
    done
  } >"$d/config"
}

echo "== 1. IPv4, $N lines (70 % hosts, 30 % /24-/31), medians of $RUNS (load average $(cut -d' ' -f1 /proc/loadavg))"
python3 benches/gen_feed.py "$N" mixed 7 "$DATA/v4.txt" "$DATA/v4.nft"
echo "loaded: $(wc -l <"$DATA/v4.txt") lines, $(wc -c <"$DATA/v4.txt") bytes"
for k in nft ld app syn; do : >"$DATA/$k.w"; : >"$DATA/$k.r"; done
for _ in $(seq "$RUNS"); do
  fresh_ns
  ip netns exec "$NS" nft -f - <<<'add table inet iocguard
add set inet iocguard v4 { type ipv4_addr; flags interval; }'
  measure ip netns exec "$NS" nft -f "$DATA/v4.nft"
  echo "$WALL" >>"$DATA/nft.w"; echo "$RSS" >>"$DATA/nft.r"
  fresh_ns
  measure ip netns exec "$NS" "$LOADER" "$DATA/v4.txt" "$DATA/run"
  echo "$WALL" >>"$DATA/ld.w"; echo "$RSS" >>"$DATA/ld.r"
  fresh_ns
  measure ip netns exec "$NS" "$BIN" apply --feed "$DATA/v4.txt" --run-dir "$DATA/run" --no-force-dns
  grep -q "^set v4h: " "$DATA/out" || { cat "$DATA/out"; exit 1; }
  echo "$WALL" >>"$DATA/app.w"; echo "$RSS" >>"$DATA/app.r"
  fresh_ns
  config "$DATA" "$DATA/v4.txt"
  measure ip netns exec "$NS" "$BIN" --config "$DATA/config" sync
  grep -q "set: $(awk '{print $1}' <<<"$(wc -l <"$DATA/v4.txt")") IPv4" "$DATA/out" || { cat "$DATA/out"; exit 1; }
  echo "$WALL" >>"$DATA/syn.w"; echo "$RSS" >>"$DATA/syn.r"
done
for k in nft ld app syn; do eval "${k}w=\$(median <\"\$DATA/\$k.w\")"; eval "${k}r=\$(median <\"\$DATA/\$k.r\")"; done
# shellcheck disable=SC2154
{
printf '%-34s %8s %10s %14s %14s\n' "" wall "peak RSS" "RSS nft/this" "wall nft/this"
printf '%-34s %7.2fs %7.1f MB\n' "nft -f, interval set (anchor)" "$nftw" "$(mb "$nftr")"
printf '%-34s %7.2fs %7.1f MB %14s %14s\n' "loader alone, hash+interval" "$ldw" "$(mb "$ldr")" "$(div "$nftr" "$ldr")" "$(div "$nftw" "$ldw")"
printf '%-34s %7.2fs %7.1f MB %14s %14s   (wall / loader %s)\n' "iocguard apply --feed" "$appw" "$(mb "$appr")" "$(div "$nftr" "$appr")" "$(div "$nftw" "$appw")" "$(div "$appw" "$ldw")"
printf '%-34s %7.2fs %7.1f MB %14s %14s   (wall / loader %s)\n' "iocguard sync (first)" "$synw" "$(mb "$synr")" "$(div "$nftr" "$synr")" "$(div "$nftw" "$synw")" "$(div "$synw" "$ldw")"
}
if [ "$QUICK" = 1 ]; then
  # At 100k nft -f peaks at ~145 MB and a process holds ~3 MB before
  # reading anything, so the 1M goals (50x, 10x) scale down to these:
  # 22x catches a return to holding the attribution table (19.6x at
  # 100k before issue 15, 25-27x after).
  ok "$(div "$nftr" "$appr")" '>=' 22 || fail "apply peak RSS not 22x under nft -f at $N"
  ok "$(div "$nftw" "$appw")" '>=' 4 || fail "apply not 4x faster than nft -f at $N"
  ok "$(div "$nftr" "$synr")" '>=' 22 || fail "sync peak RSS not 22x under nft -f at $N"
else
  ok "$(div "$nftr" "$appr")" '>=' 50 || fail "apply peak RSS not 50x under nft -f"
  ok "$(div "$nftr" "$synr")" '>=' 50 || fail "sync peak RSS not 50x under nft -f"
  ok "$(div "$nftw" "$appw")" '>=' 10 || fail "apply not 10x faster than nft -f"
  ok "$(div "$appw" "$ldw")" '<=' 1.5 || fail "apply wall more than 1.5x the loader alone"
  ok "$(div "$nftw" "$synw")" '>=' 10 || fail "sync not 10x faster than nft -f"
  ok "$(div "$synw" "$ldw")" '<=' 1.5 || fail "sync wall more than 1.5x the loader alone"
fi

echo
echo "== 2. Incremental sync: 1 % churn of 100k, medians of $((RUNS * 2))"
python3 benches/gen_feed.py 100000 hosts 11 "$DATA/base.txt" "$DATA/base.nft" 1 "$DATA/churn.txt"
fresh_ns
cp "$DATA/base.txt" "$DATA/cur.txt"
config "$DATA" "$DATA/cur.txt"
ip netns exec "$NS" "$BIN" --config "$DATA/config" sync >/dev/null
: >"$DATA/c.w"; : >"$DATA/c.r"
for _ in $(seq "$RUNS"); do
  for f in churn base; do
    cp "$DATA/$f.txt" "$DATA/cur.txt"
    measure ip netns exec "$NS" "$BIN" --config "$DATA/config" --json sync
    grep -q '"outcome": "updated"' "$DATA/out" || { cat "$DATA/out"; exit 1; }
    echo "$WALL" >>"$DATA/c.w"; echo "$RSS" >>"$DATA/c.r"
  done
done
ip netns exec "$NS" "$BIN" --config "$DATA/config" apply >/dev/null  # nothing changed: the record holds
cw=$(median <"$DATA/c.w")
printf 'whole sync (fetch file, verify, parse 100k, cache, diff, update): median %.3f s, peak RSS %s MB\n' "$cw" "$(mb "$(median <"$DATA/c.r")")"
ok "$cw" '<=' 0.3 || fail "incremental sync of 100k took more than 0.3 s"

echo
echo "== 3. Domains, $N random names (genfeed domains $N 1)"
"$GEN" domains "$N" 1 >"$DATA/d.txt"
sed 's|.*|local=/&/|' "$DATA/d.txt" >"$DATA/dnsmasq.conf"
Q=$(sed -n '7p' "$DATA/d.txt")
echo "loaded: $(wc -l <"$DATA/d.txt") lines, $(wc -c <"$DATA/d.txt") bytes; query: $Q"
# first_answer CMD… : starts CMD in the namespace (its own loopback and
# NFLOG groups: nothing of this host is touched), sets T (s to the first NXDOMAIN
# for $Q), RSS_NOW (VmRSS 3 s later, kB), HWM (VmHWM, kB); leaves it running
first_answer() {
  local t0 t1 p
  t0=$(date +%s.%N)
  ip netns exec "$NS" "$@" >"$DATA/srv.log" 2>&1 &
  p=$!; pids+=("$p")
  # One shell in the namespace polls (a dig every ~5 ms), so the poll
  # costs a dig, not a namespace entry.
  # shellcheck disable=SC2016
  ip netns exec "$NS" bash -c 'for _ in $(seq 20000); do
      dig +tries=1 +time=1 @127.0.0.1 -p "$1" "$2" A 2>/dev/null | grep -q "status: NXDOMAIN" && exit 0
      kill -0 "$3" 2>/dev/null || exit 1
      sleep 0.005
    done; exit 1' poll "$PORT" "$Q" "$p" || { echo "server never answered:"; cat "$DATA/srv.log"; exit 1; }
  t1=$(date +%s.%N)
  T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  sleep 3
  RSS_NOW=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status")
  HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status")
  kill "$p"; wait "$p" 2>/dev/null || true
}
fresh_ns
config "$DATA" "$DATA/d.txt"
: >"$DATA/ds.w"; : >"$DATA/ds.r"
for _ in $(seq "$RUNS"); do
  rm -rf "$DATA/state"; fresh_ns; config "$DATA" "$DATA/d.txt"
  measure ip netns exec "$NS" "$BIN" --config "$DATA/config" sync
  grep -q "$(wc -l <"$DATA/d.txt" | awk '{print $1}') domains" "$DATA/out" || { cat "$DATA/out"; exit 1; }
  echo "$WALL" >>"$DATA/ds.w"; echo "$RSS" >>"$DATA/ds.r"
done
dsw=$(median <"$DATA/ds.w"); dsr=$(median <"$DATA/ds.r")
printf 'iocguard sync of %s domains: %.2f s, peak RSS %s MB\n' "$N" "$dsw" "$(mb "$dsr")"
# The same with the last copy cached (every sync but the first): the
# feed changed by one name, so it is compared, staged and parsed again.
: >"$DATA/dc.w"; : >"$DATA/dc.r"
for i in $(seq "$RUNS"); do
  { echo "changed-$i.example"; cat "$DATA/d.txt"; } >"$DATA/d2.txt"; mv "$DATA/d2.txt" "$DATA/d.txt"
  measure ip netns exec "$NS" "$BIN" --config "$DATA/config" sync
  grep -q "$(wc -l <"$DATA/d.txt" | awk '{print $1}') domains" "$DATA/out" || { cat "$DATA/out"; exit 1; }
  echo "$WALL" >>"$DATA/dc.w"; echo "$RSS" >>"$DATA/dc.r"
done
dcw=$(median <"$DATA/dc.w"); dcr=$(median <"$DATA/dc.r")
printf 'iocguard sync of %s domains, changed, copy cached: %.2f s, peak RSS %s MB\n' "$N" "$dcw" "$(mb "$dcr")"
bins=("glibc:$BIN"); [ -n "$MUSL" ] && bins+=("musl-static:$MUSL")
for k in dm "${bins[@]%%:*}"; do : >"$DATA/$k.t"; : >"$DATA/$k.m"; : >"$DATA/$k.h"; done
for _ in $(seq "$RUNS"); do
  first_answer dnsmasq --no-daemon --conf-file="$DATA/dnsmasq.conf" --port="$PORT" --listen-address=127.0.0.1 \
    --bind-interfaces --no-resolv --no-hosts -k
  echo "$T" >>"$DATA/dm.t"; echo "$RSS_NOW" >>"$DATA/dm.m"; echo "$HWM" >>"$DATA/dm.h"
  for b in "${bins[@]}"; do
    first_answer "${b#*:}" --config "$DATA/config" run
    echo "$T" >>"$DATA/${b%%:*}.t"; echo "$RSS_NOW" >>"$DATA/${b%%:*}.m"; echo "$HWM" >>"$DATA/${b%%:*}.h"
  done
done
dmt=$(median <"$DATA/dm.t"); dmm=$(median <"$DATA/dm.m")
printf '%-24s %12s %10s %10s %16s %16s\n' "" "1st answer" VmRSS VmHWM "time this/dm" "RSS this/dm"
printf '%-24s %11.2fs %7.1f MB %7.1f MB\n' "dnsmasq local=/…/" "$dmt" "$(mb "$dmm")" "$(mb "$(median <"$DATA/dm.h")")"
for b in "${bins[@]}"; do
  k=${b%%:*}
  t=$(median <"$DATA/$k.t"); m=$(median <"$DATA/$k.m"); h=$(median <"$DATA/$k.h")
  printf '%-24s %11.2fs %7.1f MB %7.1f MB %16s %16s\n' "iocguard run, $k" "$t" "$(mb "$m")" "$(mb "$h")" "$(div "$t" "$dmt")" "$(div "$m" "$dmm")"
  # At 100k the process's own ~4-6 MB dominates: 0.6 there, 1/5 at 1M.
  lim=0.2; [ "$QUICK" = 1 ] && lim=0.6
  ok "$(div "$m" "$dmm")" '<=' $lim || fail "$k steady RSS above $lim of dnsmasq's"
  ok "$h" '<=' $((32 * 1024)) || fail "$k load peak above 32 MB"
  [ "$QUICK" = 1 ] || ok "$(div "$t" "$dmt")" '<=' 0.5 || fail "$k first answer not within half of dnsmasq's"
done
ok "$dsr" '<=' $((32 * 1024)) || fail "sync of $N domains peaked above 32 MB"
ok "$dcr" '<=' $((32 * 1024)) || fail "sync of $N changed domains peaked above 32 MB"
[ "$QUICK" = 1 ] || ok "$dsw" '<=' 1 || fail "sync of $N domains took more than 1 s"
[ "$QUICK" = 1 ] || ok "$dcw" '<=' 1 || fail "sync of $N changed domains took more than 1 s"

if [ "$QUICK" != 1 ]; then
  echo
  echo "== 4. Growth: iocguard sync --no-apply (parse, gate, cache, build), one run each"
  printf '%-8s %10s %22s %22s %22s\n' "" lines IPv4 IPv6 domains
  for n in $SIZES; do
    row=""
    for kind in ipv4 ipv6 domains; do
      "$GEN" "$kind" "$n" 3 >"$DATA/g.txt"
      rm -rf "$DATA/state"; config "$DATA" "$DATA/g.txt"
      measure "$BIN" --config "$DATA/config" sync --no-apply
      row+=$(printf '%9.2f s %7.1f MB  ' "$WALL" "$(mb "$RSS")")
    done
    printf '%-8s %10s %s\n' "" "$n" "$row"
  done
fi

if [ "$FAILED" = 1 ]; then echo "footprint bench: some goals missed (see FAILED lines)"; exit 1; fi
echo "footprint bench: all checked goals met"
