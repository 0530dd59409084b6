#!/usr/bin/env bash
# Proof that the router binary works: the library's unit tests built for
# aarch64-unknown-linux-musl and run under qemu-aarch64 (user-mode
# emulation: real aarch64 instructions, real musl), then a smoke run of the
# stripped static release binary that ships in the package.
set -euo pipefail
cd "$(dirname "$0")/.."
target=aarch64-unknown-linux-musl
# shellcheck source=cross/env.sh
. cross/env.sh "$target"

command -v qemu-aarch64 >/dev/null 2>&1 || {
  echo "test-aarch64: qemu-aarch64 missing (apt-get install qemu-user)" >&2
  exit 1
}

echo "== unit tests for $target under qemu-aarch64" >&2
# cargo runs each test binary through CARGO_TARGET_..._RUNNER=qemu-aarch64.
"${CARGO_CMD[@]}" test --locked --lib --target "$target"

echo "== release binary smoke run" >&2
bin=$(cross/build.sh "$target" | tail -n 1)
# Refuse to "pass" by accident on a host binary.
LC_ALL=C readelf -hW "$bin" | grep -q 'Machine:.*AArch64' || {
  echo "test-aarch64: $bin is not an aarch64 ELF" >&2
  exit 1
}

want="iocguard $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
got=$(qemu-aarch64 "$bin" --version)
[ "$got" = "$want" ] || { echo "test-aarch64: --version said '$got', want '$want'" >&2; exit 1; }
echo "ok: $got"

feed=tests/data/feeds/spamhaus-drop.txt
set +e
out=$(qemu-aarch64 "$bin" check "$feed")
rc=$?
set -e
printf '%s\n' "$out"
# 0 = every line accepted, 1 = some rejected; 2 would be an unusable file.
case $rc in 0 | 1) ;; *) echo "test-aarch64: check exited $rc" >&2; exit 1 ;; esac
v4=$(printf '%s\n' "$out" | sed -n "s|^$feed: format [a-z-]*.*: \([0-9]*\) IPv4,.*|\1|p")
if [ -z "$v4" ] || [ "$v4" -le 1000 ]; then
  echo "test-aarch64: expected >1000 IPv4 entries from $feed, got '${v4:-none}'" >&2
  exit 1
fi
printf '%s\n' "$out" | grep -q '^aggregated: ' || { echo "test-aarch64: no aggregate line" >&2; exit 1; }
echo "ok: check $feed under qemu-aarch64: $v4 IPv4 entries accepted (exit $rc)"
