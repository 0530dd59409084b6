#!/usr/bin/env bash
# The 128 MB router soak (issue 15; root, nft, dnsperf, dig, python3): the
# daemon and SYNCS repeated syncs run inside one memory cgroup limited to
# LIMIT_MB, in a network namespace of their own, with 200k IPv4 + 200k
# domains listed and about 1 % of each feed replaced before every sync,
# while dnsperf queries the sinkhole and a traffic generator sends packets
# to listed addresses (each one NFLOG-logged by the output chain and
# attributed by the host log). The run dir is a tmpfs capped at RUN_CAP_MB,
# as /tmp is on the router.
#
# Passes when: no process is OOM-killed (the cgroup's OOM count stays 0
# and the daemon lives), every sync exits 0, the daemon's VmRSS after each
# reload has no growth trend (least-squares slope over syncs 10..SYNCS,
# below SLOPE_KB kB per sync), and the run dir stays under its cap.
# Prints VmRSS after every sync, the slope, and the cgroup's peak.
# Knobs: SYNCS (100), LIMIT_MB (32), RUN_CAP_MB (8), N (200000),
# SLOPE_KB (10), BIN (target/release/iocguard; the musl build works too),
# QPS (2000), PPS (500).
set -euo pipefail
cd "$(dirname "$0")/.."
SYNCS=${SYNCS:-100}
LIMIT_MB=${LIMIT_MB:-32}
RUN_CAP_MB=${RUN_CAP_MB:-8}
N=${N:-200000}
SLOPE_KB=${SLOPE_KB:-10}
QPS=${QPS:-2000}
PPS=${PPS:-500}
PORT=${PORT:-25441}
for t in nft dnsperf dig python3; do
  command -v "$t" >/dev/null || { echo "soak: $t missing" >&2; exit 1; }
done
cargo build --release --locked -q --bin iocguard --example genfeed
BIN=${BIN:-$PWD/target/release/iocguard}
GEN=$PWD/target/release/examples/genfeed

NS="iocg-soak-$$"
DATA=$(mktemp -d /tmp/iocg-soak.XXXXXX)
CG_NAME="iocguard-soak-$$"
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  CG=/sys/fs/cgroup/$CG_NAME
  mkdir "$CG"
  set_limit() { echo "$1" >"$CG/memory.max"; echo 0 2>/dev/null >"$CG/memory.swap.max" || true; }
  kmem() { awk '$1 == "slab" || $1 == "percpu" || $1 == "kernel_stack" || $1 == "pagetables" {s += $2} END {print s + 0}' "$CG/memory.stat"; }
  oom_kills() { awk '$1 == "oom_kill" {print $2}' "$CG/memory.events"; }
  cg_peak() { cat "$CG/memory.peak" 2>/dev/null || echo 0; }
  CGV=v2
else
  CG=/sys/fs/cgroup/memory/$CG_NAME
  mkdir "$CG"
  set_limit() {
    echo "$1" 2>/dev/null >"$CG/memory.memsw.limit_in_bytes" || true
    echo "$1" >"$CG/memory.limit_in_bytes"
    echo "$1" 2>/dev/null >"$CG/memory.memsw.limit_in_bytes" || true
  }
  kmem() { cat "$CG/memory.kmem.usage_in_bytes"; }
  # v1 has no OOM-kill counter; under_oom/failcnt say it was hit, and the
  # kernel log names the victim. The daemon's and the syncs' survival is
  # checked directly below.
  oom_kills() { awk '$1 == "oom_kill" {print $2}' "$CG/memory.oom_control" 2>/dev/null | grep . || echo 0; }
  cg_peak() { cat "$CG/memory.max_usage_in_bytes"; }
  CGV=v1
fi
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  umount "$DATA/run" 2>/dev/null || true
  # The cgroup can only go once it is empty.
  for _ in 1 2 3 4 5; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
  rm -rf "$DATA"
}
trap cleanup EXIT
# in_cg CMD…: runs CMD inside the cgroup and the namespace (joined in that
# order: `ip netns exec` remounts /sys, hiding the cgroup tree).
in_cg() { bash -c 'echo $$ >"$0/cgroup.procs" && exec ip netns exec "$1" "${@:2}"' "$CG" "$NS" "$@"; }

ip netns add "$NS"
ip -n "$NS" link set lo up
# Somewhere for packets to listed addresses to go: the output chain
# rejects and logs them before they leave.
ip -n "$NS" link add s0 type veth peer name s1
ip -n "$NS" addr add 198.51.100.1/24 dev s0
ip -n "$NS" link set s0 up
ip -n "$NS" link set s1 up
ip -n "$NS" route add default via 198.51.100.2 dev s0
ip -n "$NS" neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev s0
mkdir -p "$DATA/run" "$DATA/state"
mount -t tmpfs -o "size=${RUN_CAP_MB}m" tmpfs "$DATA/run"

"$GEN" ipv4 "$N" 21 >"$DATA/v4.base"
"$GEN" domains "$N" 22 >"$DATA/d.base"
cp "$DATA/v4.base" "$DATA/v4.txt"; cp "$DATA/d.base" "$DATA/d.txt"
cat >"$DATA/config" <<EOF
config iocguard 'main'
	option state_dir '$DATA/state'
	option run_dir '$DATA/run'
	option force_dns '0'
	option snapshot_interval '60'
config dns 'dns'
	option mode 'front'
	list listen '127.0.0.1:$PORT'
	option rate_limit '0'
config feed 'ipv4'
	option url '$DATA/v4.txt'
config feed 'domains'
	option url '$DATA/d.txt'
EOF
# Sync i's feeds: the base without the lines whose number is i mod 100,
# plus N/100 fresh ones, so about 1 % differs from the previous sync.
churn() {
  local i=$1
  awk -v k=$((i % 100)) 'NR % 100 != k' "$DATA/v4.base" >"$DATA/v4.txt"
  "$GEN" ipv4 $((N / 100)) $((1000 + i)) >>"$DATA/v4.txt"
  awk -v k=$((i % 100)) 'NR % 100 != k' "$DATA/d.base" >"$DATA/d.txt"
  "$GEN" domains $((N / 100)) $((5000 + i)) >>"$DATA/d.txt"
}

echo "soak: cgroup $CGV, $LIMIT_MB MB for iocguard, run dir tmpfs cap $RUN_CAP_MB MB, $N IPv4 + $N domains, $SYNCS syncs, $(basename "$(dirname "$(dirname "$BIN")")")/$(basename "$(dirname "$BIN")") binary"
# The kernel charges the nftables set elements (slab) to the cgroup of the
# process that inserted them. They are the kernel's share of the router's
# memory (nft -f would need the same), not iocguard's: the first sync
# measures them, and the limit is LIMIT_MB plus that.
set_limit $((1 << 30))
k0=$(kmem)
in_cg "$BIN" --config "$DATA/config" sync >"$DATA/sync0.txt" || { cat "$DATA/sync0.txt"; exit 1; }
KSETS=$(( $(kmem) - k0 ))
set_limit $(( (LIMIT_MB << 20) + KSETS ))
[ "$CGV" = v1 ] && echo 0 >"$CG/memory.max_usage_in_bytes"  # the peak from here on
echo "loaded: $(grep '^set:' "$DATA/sync0.txt"); kernel memory of the sets: $((KSETS >> 10)) kB; cgroup limit $(( ((LIMIT_MB << 20) + KSETS) >> 10 )) kB"
# Not through the in_cg function: `&` on a function forks a subshell, and
# $! would be that shell, not the daemon.
bash -c 'echo $$ >"$0/cgroup.procs" && exec ip netns exec "$1" "${@:2}"' "$CG" "$NS" \
  "$BIN" --config "$DATA/config" -v run >"$DATA/run.log" 2>&1 &
daemon=$!; pids+=("$daemon")
for _ in $(seq 600); do
  grep -q 'dns: serving' "$DATA/run.log" && break
  kill -0 "$daemon" 2>/dev/null || { cat "$DATA/run.log"; exit 1; }
  sleep 0.1
done
grep -q 'dns: serving' "$DATA/run.log" || { echo "soak: daemon never served"; cat "$DATA/run.log"; exit 1; }

# Clients (outside the cgroup: they are the LAN, not the router).
awk 'NR % 50 == 1 { print $1 " A" }' "$DATA/d.base" >"$DATA/q.txt"
ip netns exec "$NS" dnsperf -s 127.0.0.1 -p "$PORT" -d "$DATA/q.txt" -c 2 -Q "$QPS" -l 100000 >"$DATA/dnsperf.txt" 2>&1 &
dnsperf=$!; pids+=("$dnsperf")
awk 'NR % 100 == 1 && $1 !~ /\// { print $1 }' "$DATA/v4.base" >"$DATA/targets.txt"
ip netns exec "$NS" python3 - "$DATA/targets.txt" "$PPS" >"$DATA/traffic.txt" 2>&1 <<'PY' &
import socket, sys, time
targets = [l.strip() for l in open(sys.argv[1]) if l.strip()]
pps = int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = i = 0
while True:
    t = time.monotonic()
    for _ in range(pps // 10):
        try:
            s.sendto(b"x", (targets[i % len(targets)], 4444))
        except OSError:
            pass  # rejected by the output chain, as wanted
        i += 1
        sent += 1
    time.sleep(max(0.0, 0.1 - (time.monotonic() - t)))
PY
pids+=($!)

rss() { awk '/^VmRSS/ {print $2}' "/proc/$daemon/status"; }
reloads() { grep -c 'dns: [0-9]* blocked domains' "$DATA/run.log" || true; }
: >"$DATA/rss.txt"; : >"$DATA/sync_hwm.txt"
FAILED=0
printf '%5s %8s %6s %10s %10s %10s %10s %10s %10s\n' sync "wall s" exit "VmRSS kB" "VmHWM kB" "cg now MB" "cg rss MB" "run dir kB" "sync peak"
for i in $(seq 1 "$SYNCS"); do
  churn "$i"
  before=$(reloads)
  t0=$(date +%s.%N)
  code=0; in_cg /usr/bin/time -f %M -o "$DATA/sync.hwm" "$BIN" --config "$DATA/config" sync >"$DATA/sync.txt" 2>&1 || code=$?
  t1=$(date +%s.%N)
  # The daemon reloads on sync's SIGHUP; wait for the new matcher.
  for _ in $(seq 300); do [ "$(reloads)" -gt "$before" ] && break; sleep 0.05; done
  sleep 0.3
  kill -0 "$daemon" 2>/dev/null || { echo "soak: daemon died after sync $i"; tail -5 "$DATA/run.log"; FAILED=1; break; }
  r=$(rss); run_kb=$(du -sk "$DATA/run" | cut -f1)
  if [ "$CGV" = v2 ]; then now=$(cat "$CG/memory.current"); else now=$(cat "$CG/memory.usage_in_bytes"); fi
  anon=$(awk '$1 == "rss" || $1 == "anon" {print $2}' "$CG/memory.stat" | head -1)
  sync_hwm=$(tail -1 "$DATA/sync.hwm" 2>/dev/null || echo 0)
  echo "$sync_hwm" >>"$DATA/sync_hwm.txt"
  printf '%5s %8.2f %6s %10s %10s %10.1f %10.1f %10s %10s\n' "$i" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$code" "$r" \
    "$(awk '/^VmHWM/ {print $2}' "/proc/$daemon/status")" "$(awk -v b="$now" 'BEGIN{print b/1048576}')" "$(awk -v b="$anon" 'BEGIN{print b/1048576}')" "$run_kb" "$sync_hwm"
  echo "$i $r" >>"$DATA/rss.txt"
  [ "$code" = 0 ] || { echo "soak: sync $i exited $code"; cat "$DATA/sync.txt"; FAILED=1; }
  [ "$run_kb" -lt $((RUN_CAP_MB * 1024)) ] || { echo "soak: run dir at its cap"; FAILED=1; }
done
kill -0 "$daemon" 2>/dev/null || FAILED=1
ooms=$(oom_kills)
slope=$(awk -v from=10 '$1 >= from { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2 }
  END { if (n < 3) { print 0; exit } printf "%.2f", (n * sxy - sx * sy) / (n * sxx - sx * sx) }' "$DATA/rss.txt")
first=$(awk '$1 == 10 {print $2}' "$DATA/rss.txt"); last=$(tail -1 "$DATA/rss.txt" | cut -d' ' -f2)
echo "sync peak RSS (each sync's VmHWM, /usr/bin/time): max $(sort -n "$DATA/sync_hwm.txt" | tail -1) kB"
echo "daemon VmRSS: sync 10 ${first:-?} kB, last $last kB; slope over syncs 10..$SYNCS: $slope kB/sync (limit $SLOPE_KB)"
echo "cgroup peak $(awk -v b="$(cg_peak)" 'BEGIN{printf "%.1f", b/1048576}') MB of $(( ((LIMIT_MB << 20) + KSETS) >> 20 )) MB ($LIMIT_MB + sets' kernel memory); kernel memory now $(( $(kmem) >> 10 )) kB; OOM kills: $ooms; failcnt: $(cat "$CG/memory.failcnt" 2>/dev/null || echo n/a)"
hosts=$("$BIN" --config "$DATA/config" hosts --json 2>/dev/null | grep -o '"stats":{"hosts":[0-9]*' | cut -d: -f3 || true)
kill -INT "$dnsperf" 2>/dev/null || true; wait "$dnsperf" 2>/dev/null || true
echo "clients: dnsperf $(grep -E 'Queries (sent|completed)' "$DATA/dnsperf.txt" | tr -s ' \n' ' '); host log: ${hosts:-?} hosts; NFLOG/DNS events logged: $(cat "$DATA/run"/events* 2>/dev/null | wc -l)"
awk -v s="$slope" -v l="$SLOPE_KB" 'BEGIN { exit !(s < l) }' || { echo "soak: RSS grows ($slope kB/sync)"; FAILED=1; }
[ "${ooms:-0}" = 0 ] || { echo "soak: OOM kills in the cgroup"; FAILED=1; }
if [ "$FAILED" = 1 ]; then echo "soak: FAILED"; exit 1; fi
echo "soak: passed"
