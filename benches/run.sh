#!/usr/bin/env bash
# `make bench`: every benchmark, one after another. Each part prints its
# figures; BENCHMARKS.md records them with the command that produced them.
# BENCH_QUICK=1: only the footprint checks at 100k (benches/footprint.sh
# quick mode, for CI): exits 1 when a ratio regressed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  BENCH_QUICK=1 bash benches/footprint.sh
  exit
fi
bash benches/parse.sh
bash benches/nft.sh
bash benches/dns.sh
bash benches/hosts.sh
bash benches/footprint.sh
bash benches/soak.sh
bash benches/qemu_rss.sh
bash benches/notice.sh
