#!/usr/bin/env bash
# `make bench`: every benchmark, one after another. Each part prints its
# figures; BENCHMARKS.md records them with the command that produced them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash benches/parse.sh
bash benches/nft.sh
bash benches/dns.sh
bash benches/hosts.sh
bash benches/notice.sh
