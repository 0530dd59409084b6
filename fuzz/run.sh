#!/bin/sh
# Runs every fuzz target for SECONDS each (default 60), one after another.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# parse_feed is seeded with the real corpus and the synthetic samples (cut
# to -max_len bytes by libFuzzer); new inputs go to fuzz/corpus/TARGET.
set -eu
cd "$(dirname "$0")/.."
secs="${1:-60}"
mkdir -p fuzz/corpus/parse_feed fuzz/corpus/parse_indicator
echo "== parse_feed for ${secs}s"
cargo +nightly fuzz run parse_feed fuzz/corpus/parse_feed tests/data/feeds tests/data/synthetic -- \
    -max_total_time="$secs" -max_len=8192 -print_final_stats=1
echo "== parse_indicator for ${secs}s"
cargo +nightly fuzz run parse_indicator fuzz/corpus/parse_indicator -- \
    -max_total_time="$secs" -print_final_stats=1
echo "== dns_packet for ${secs}s"
mkdir -p fuzz/corpus/dns_packet
cargo +nightly fuzz run dns_packet fuzz/corpus/dns_packet -- \
    -max_total_time="$secs" -max_len=4096 -print_final_stats=1
