#!/usr/bin/env bash
# `make dist`: the release tarball the OpenWrt feed Makefile downloads
# (PKG_SOURCE), and its SHA-256 (PKG_HASH).
#
#   openwrt/dist.sh [--update-makefile]
#
# dist/iocguard-VERSION.tar.xz is `git archive` of HEAD (every member
# carries the commit's time, the commit id is in the pax header) with the
# prefix iocguard-VERSION/, xz -9 single-threaded: the same commit always
# gives the same bytes. openwrt/Makefile is left
# out: it carries the hash of the tarball, and belongs to the feed, not to
# the source release. --update-makefile writes the hash into
# openwrt/Makefile's PKG_HASH (the release step: tag, make dist, commit the
# Makefile, copy it to the feed).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
name=iocguard-$version
mkdir -p dist
out=dist/$name.tar.xz
git archive --format=tar --prefix="$name/" HEAD -- . ':(exclude)openwrt/Makefile' |
  xz -9 -T1 -c >"$out.tmp"
mv "$out.tmp" "$out"
hash=$(sha256sum "$out" | cut -d' ' -f1)
if [ "${1:-}" = --update-makefile ]; then
  sed -i "s/^PKG_HASH:=.*/PKG_HASH:=$hash/" openwrt/Makefile
fi
echo "dist: $out ($(stat -c %s "$out") bytes) sha256 $hash" >&2
echo "$out"
