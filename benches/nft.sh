#!/usr/bin/env bash
# Enforcement benchmarks (root; each load runs in a fresh network
# namespace, so nothing touches the host's ruleset):
#  1. bulk load of N random IPv4 indicators (/32 "hosts", or "mixed" /24–/32)
#     `nft -f` (10k-element `add element` lines into the interval set)
#     vs the loader alone (examples/nft_load.rs) into the interval set
#     (like for like) and as iocguard splits it (hosts → hash set, ranges →
#     interval set), vs `iocguard apply` (parse + ruleset + load, split);
#     same data, same run, each in a fresh namespace; wall time and peak
#     RSS from /usr/bin/time -v (the loader's own VmHWM for the loader),
#     medians of RUNS runs, ratios to nft -f;
#  2. incremental update: 1% churn of a 100k set, `iocguard apply`.
# Knobs: RUNS (3), SIZES ("10000 100000 1000000"), KINDS ("hosts mixed").
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SIZES=${SIZES:-"10000 100000 1000000"}
KINDS=${KINDS:-"hosts mixed"}
NS="iocg-bench-$$"
DATA=$(mktemp -d /tmp/iocg-bench.XXXXXX)
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

cargo build --release --locked -q --bin iocguard --example nft_load
BIN=target/release/iocguard
LOADER=target/release/examples/nft_load

fresh_ns() {
  ip netns del "$NS" 2>/dev/null || true
  ip netns add "$NS"
  rm -rf "$DATA/run"
}

# measure CMD… → sets WALL (s) and RSS (KB, max over the process tree)
measure() {
  /usr/bin/time -v -o "$DATA/time" "$@" >"$DATA/out" 2>&1 || { cat "$DATA/out" "$DATA/time"; exit 1; }
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$DATA/time")
  RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DATA/time")
}

div() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '%-7s %-5s | %-16s | %-24s | %-24s | %-16s\n' size kind "nft -f" "loader, interval only" "loader, hash+interval" "iocguard apply"
row() { printf '%6.2f s %6.1f MB' "$1" "$(div "$2" 1024)"; }
for kind in $KINDS; do
  for n in $SIZES; do
    python3 benches/gen_feed.py "$n" "$kind" 7 "$DATA/feed.txt" "$DATA/feed.nft"
    for k in nft li ls app; do : >"$DATA/$k.w"; : >"$DATA/$k.r"; done
    for _ in $(seq "$RUNS"); do
      fresh_ns
      ip netns exec "$NS" nft -f - <<<'add table inet iocguard
add set inet iocguard v4 { type ipv4_addr; flags interval; }'
      measure ip netns exec "$NS" nft -f "$DATA/feed.nft"
      echo "$WALL" >>"$DATA/nft.w"; echo "$RSS" >>"$DATA/nft.r"

      for mode in interval split; do
        fresh_ns
        measure env NFT_LOAD_MODE=$mode ip netns exec "$NS" "$LOADER" "$DATA/feed.txt" "$DATA/run"
        # The loader's own peak RSS (VmHWM), without the nft child that
        # installs the ruleset.
        k=li; [ $mode = split ] && k=ls
        echo "$WALL" >>"$DATA/$k.w"
        awk '{for (i = 1; i < NF; i++) if ($i == "RSS") print $(i + 1)}' "$DATA/out" >>"$DATA/$k.r"
      done

      fresh_ns
      measure ip netns exec "$NS" "$BIN" apply --feed "$DATA/feed.txt" --run-dir "$DATA/run" --no-force-dns
      echo "$WALL" >>"$DATA/app.w"; echo "$RSS" >>"$DATA/app.r"
    done
    for k in nft li ls app; do
      eval "${k}w=\$(median <\"\$DATA/\$k.w\")"; eval "${k}r=\$(median <\"\$DATA/\$k.r\")"
    done
    # shellcheck disable=SC2154
    printf '%-7s %-5s | %s | %s %5.1fx | %s %5.1fx | %s %5.1fx\n' "$n" "$kind" \
      "$(row "$nftw" "$nftr")" "$(row "$liw" "$lir")" "$(div "$nftw" "$liw")" \
      "$(row "$lsw" "$lsr")" "$(div "$nftw" "$lsw")" "$(row "$appw" "$appr")" "$(div "$nftw" "$appw")"
  done
done

echo
echo "1% churn of a 100k set (iocguard apply; 'sync' = the set update inside it):"
python3 benches/gen_feed.py 100000 hosts 11 "$DATA/base.txt" "$DATA/base.nft" 1 "$DATA/churn.txt"
fresh_ns
"$BIN" --version >/dev/null
ip netns exec "$NS" "$BIN" apply --feed "$DATA/base.txt" --run-dir "$DATA/run" --no-force-dns >/dev/null
: >"$DATA/c.w"; : >"$DATA/c.s"
for _ in $(seq "$RUNS"); do
  for f in churn base; do
    measure ip netns exec "$NS" "$BIN" apply --feed "$DATA/$f.txt" --run-dir "$DATA/run" --no-force-dns
    echo "$WALL" >>"$DATA/c.w"
    sed -n 's/^set v4: .*, \([0-9]*\) ms)$/\1/p' "$DATA/out" >>"$DATA/c.s"
    grep '^set v4' "$DATA/out" | head -1 >"$DATA/last"
  done
done
printf 'whole apply (parse 100k + ruleset + diff + load): median %.3f s; set sync: median %s ms; e.g. %s\n' \
  "$(median <"$DATA/c.w")" "$(median <"$DATA/c.s")" "$(cat "$DATA/last")"
