#!/usr/bin/env python3
"""Writes N random distinct IPv4 indicators for the load benchmarks.

usage: gen_feed.py N KIND SEED OUT_FEED OUT_NFT [CHURN_PCT OUT_FEED2]
KIND: hosts (all /32) or mixed (70% /32, the rest /24../31).
Also writes OUT_NFT: the same data as one nft `add element` file in
10k-element lines for the interval set (what an nft -f loader would do).
Addresses come from 11.0.0.0-126.255.255.255 (public unicast, so the
safety gate keeps them); they are only ever loaded into sets inside a
throw-away network namespace, no packet is sent to them.
"""
import random, sys

n, kind, seed, out_feed, out_nft = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
rng = random.Random(seed)
lo, hi = 11 << 24, (127 << 24) - 1
seen = set()
items = []
while len(items) < n:
    a = rng.randint(lo, hi)
    plen = 32
    if kind == "mixed" and rng.random() < 0.3:
        plen = rng.randint(24, 31)
    a &= (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
    key = a >> 8  # one indicator per /24 keeps them disjoint
    if key in seen or a >> 22 == (100 << 2) | 1:  # 100.64.0.0/10 is protected
        continue
    seen.add(key)
    items.append((a, plen))

def fmt(a, plen):
    s = "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
    return s if plen == 32 else "%s/%d" % (s, plen)

def write(path, its):
    with open(path, "w") as f:
        for a, p in its:
            f.write(fmt(a, p) + "\n")

write(out_feed, items)
with open(out_nft, "w") as f:
    for i in range(0, len(items), 10000):
        f.write("add element inet iocguard v4 { " + ", ".join(fmt(a, p) for a, p in items[i:i + 10000]) + " }\n")
if len(sys.argv) > 7:
    pct, out2 = float(sys.argv[6]), sys.argv[7]
    k = int(n * pct / 100)
    keep = items[k:]  # drop k, add k new
    extra = []
    while len(extra) < k:
        a = rng.randint(lo, hi)
        if (a >> 8) in seen or a >> 22 == (100 << 2) | 1:
            continue
        seen.add(a >> 8)
        extra.append((a, 32))
    write(out2, keep + extra)
