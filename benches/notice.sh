#!/usr/bin/env bash
# The notice page (issue 12), two questions:
#  1. What do the redirect rules cost a clean host? Namespaces lan - router
#     - wan; the router runs iocguard's real ruleset (installed by `iocguard
#     apply` from a UCI configuration) with `option notice` off, then on,
#     alternately, RUNS rounds each; with the notice on, the notice set
#     holds 1000 other LAN addresses (so the lookup is a real one) and the
#     clean host is not among them. The clean host measures new TCP
#     connections per second to a WAN server (the nat chain with the
#     redirect sees the first packet of each) and bulk throughput on one
#     connection. Medians, and on/off ratios.
#  2. Does the page keep answering under a flood? examples/noticebench.rs:
#     4 good clients with and without 600 slowloris connections from 200
#     addresses plus malformed requests as fast as 2 threads can send
#     them; good answers per second, refusals, and the server's peak
#     memory (VmHWM).
# Every step checks its exit status and what it loaded (the ruleset has
# the redirect rules only in the "on" rounds; the set holds 1000
# elements), and the script exits non-zero otherwise.
# Knobs: RUNS (5), SECS (5).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SECS=${SECS:-5}
ID="iocg-nb-$$"
L=$ID-lan R=$ID-rtr W=$ID-wan
DATA=$(mktemp -d /tmp/iocg-notice.XXXXXX)
cleanup() {
  for n in "$L" "$R" "$W"; do ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null || true; ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$DATA"
}
trap cleanup EXIT

cargo build --release --locked -q --bin iocguard --example noticebench
BIN=$PWD/target/release/iocguard

for n in "$L" "$R" "$W"; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$L" link add eth0 type veth peer name lan0 netns "$R"
ip -n "$W" link add eth0 type veth peer name wan0 netns "$R"
ip -n "$L" addr add 192.0.2.10/24 dev eth0
ip -n "$R" addr add 192.0.2.1/24 dev lan0
ip -n "$R" addr add 198.51.100.1/24 dev wan0
ip -n "$W" addr add 198.51.100.2/24 dev eth0
ip -n "$L" link set eth0 up
ip -n "$R" link set lan0 up
ip -n "$R" link set wan0 up
ip -n "$W" link set eth0 up
ip -n "$L" route add default via 192.0.2.1
ip -n "$W" route add default via 198.51.100.1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$W" python3 benches/tcpgen.py serve 9000 &
sleep 0.5

echo "203.0.113.0/24" >"$DATA/feed.txt"
config() {
  cat >"$DATA/config" <<CFG
config iocguard 'main'
	option state_dir '$DATA/state'
	option run_dir '$DATA/run'
	list lan '192.0.2.0/24'
	list allow_reserved '203.0.113.0/24'
	option notice '$1'
config dns 'dns'
	option enabled '0'
config feed 'campaign'
	option url '$DATA/feed.txt'
CFG
}
config 0
ip netns exec "$R" "$BIN" --config "$DATA/config" sync >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
field() { grep -o "$1=[0-9.]*" | cut -d= -f2; }

for state in 0 1; do : >"$DATA/conns.$state"; : >"$DATA/bulk.$state"; done
for round in $(seq "$RUNS"); do
  for state in 0 1; do
    config "$state"
    ip netns exec "$R" "$BIN" --config "$DATA/config" apply >/dev/null
    rules=$(ip netns exec "$R" nft list chain inet iocguard dstnat 2>/dev/null | grep -c 'notice_redirected' || true)
    if [ "$state" = 1 ]; then
      [ "$rules" -ge 1 ] || { echo "notice on, but no redirect rule in the ruleset" >&2; exit 1; }
      {
        echo "flush set inet iocguard notice4"
        printf 'add element inet iocguard notice4 { '
        for i in $(seq 0 999); do printf '10.%d.%d.1 timeout 1h, ' $((i / 250)) $((i % 250 + 1)); done
        echo '192.0.2.250 timeout 1h }'
      } | ip netns exec "$R" nft -f -
      elems=$(ip netns exec "$R" nft -j list set inet iocguard notice4 | grep -o '"elem"' | wc -l)
      n=$(ip netns exec "$R" nft list set inet iocguard notice4 | grep -o 'timeout' | wc -l)
      [ "$n" -ge 1001 ] || { echo "notice set holds $n elements, not 1001 ($elems)" >&2; exit 1; }
    else
      [ "$rules" = 0 ] || { echo "notice off, but a redirect rule is installed" >&2; exit 1; }
    fi
    ip netns exec "$L" python3 benches/tcpgen.py conns 198.51.100.2 9000 "$SECS" | tee -a "$DATA/log" | field conns_per_s >>"$DATA/conns.$state"
    ip netns exec "$L" python3 benches/tcpgen.py bulk 198.51.100.2 9000 "$SECS" | tee -a "$DATA/log" | field mbit_per_s >>"$DATA/bulk.$state"
  done
  echo "round $round: off $(tail -1 "$DATA/conns.0") conn/s $(tail -1 "$DATA/bulk.0") Mbit/s; on $(tail -1 "$DATA/conns.1") conn/s $(tail -1 "$DATA/bulk.1") Mbit/s"
done
c0=$(median <"$DATA/conns.0"); c1=$(median <"$DATA/conns.1")
b0=$(median <"$DATA/bulk.0"); b1=$(median <"$DATA/bulk.1")
echo "clean host, medians of $RUNS: new connections/s off $c0, on $c1 (on/off $(div "$c1" "$c0")); bulk Mbit/s off $b0, on $b1 (on/off $(div "$b1" "$b0"))"

ulimit -n 8192
: >"$DATA/quiet"; : >"$DATA/flood"; : >"$DATA/hwm"
for _ in $(seq "$RUNS"); do
  target/release/examples/noticebench "$SECS" quiet | tee -a "$DATA/log" | field good_per_s >>"$DATA/quiet"
  out=$(target/release/examples/noticebench "$SECS")
  echo "$out" >>"$DATA/log"
  echo "$out" | field good_per_s >>"$DATA/flood"
  echo "$out" | field vmhwm_kb >>"$DATA/hwm"
  echo "$out"
done
q=$(median <"$DATA/quiet"); f=$(median <"$DATA/flood"); h=$(median <"$DATA/hwm")
echo "page server, medians of $RUNS: good answers/s quiet $q, under the flood $f (flood/quiet $(div "$f" "$q")); server peak $h kB"
awk -v f="$f" 'BEGIN { exit !(f >= 1000) }' || { echo "under 1000 good answers/s under the flood" >&2; exit 1; }
