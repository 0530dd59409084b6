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
# nflog_packet is seeded with kernel-shaped messages built by
# nflog::packet_msg (fuzz/seeds/nflog_packet; an input starting with 0xff
# is a packet payload wrapped in such a message).
echo "== nflog_packet for ${secs}s"
mkdir -p fuzz/corpus/nflog_packet
cargo +nightly fuzz run nflog_packet fuzz/corpus/nflog_packet fuzz/seeds/nflog_packet -- \
    -max_total_time="$secs" -max_len=512 -print_final_stats=1
echo "== hosts_parsers for ${secs}s"
mkdir -p fuzz/corpus/hosts_parsers
cargo +nightly fuzz run hosts_parsers fuzz/corpus/hosts_parsers -- \
    -max_total_time="$secs" -max_len=4096 -print_final_stats=1
# The parsers that see a feed server's bytes before any signature check
# (HTTP head, framing, gzip; seeded with hand-made responses whose first
# two bytes are the read size and option flags, see the target), the UCI
# configuration, and netlink replies (seeded with set-element dumps, an
# ack and a counter object).
echo "== http_response for ${secs}s"
mkdir -p fuzz/corpus/http_response
cargo +nightly fuzz run http_response fuzz/corpus/http_response fuzz/seeds/http_response -- \
    -max_total_time="$secs" -max_len=8192 -print_final_stats=1
echo "== uci for ${secs}s"
mkdir -p fuzz/corpus/uci
cargo +nightly fuzz run uci fuzz/corpus/uci fuzz/seeds/uci -- \
    -max_total_time="$secs" -max_len=4096 -print_final_stats=1
echo "== netlink for ${secs}s"
mkdir -p fuzz/corpus/netlink
cargo +nightly fuzz run netlink fuzz/corpus/netlink fuzz/seeds/netlink -- \
    -max_total_time="$secs" -max_len=4096 -print_final_stats=1
echo "== notice_request for ${secs}s"
mkdir -p fuzz/corpus/notice_request
cargo +nightly fuzz run notice_request fuzz/corpus/notice_request fuzz/seeds/notice_request -- \
    -max_total_time="$secs" -max_len=6144 -print_final_stats=1
