#!/usr/bin/env bash
# Builds the static, stripped release binary for one target and checks that
# it really is static (no ELF interpreter) and stripped.
#   cross/build.sh aarch64-unknown-linux-musl
# Prints the binary's path on the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: cross/build.sh TARGET}
# shellcheck source=cross/env.sh
. cross/env.sh "$target"

"${CARGO_CMD[@]}" build --locked --release --target "$target" ${CROSS_BUILD_ARGS[@]+"${CROSS_BUILD_ARGS[@]}"} >&2

bin=target/$target/release/iocguard
[ -x "$bin" ] || { echo "cross: $bin was not produced" >&2; exit 1; }
# A dynamic binary would need the router's libc at the exact path; refuse it.
if LC_ALL=C readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
  echo "cross: $bin is dynamically linked" >&2
  exit 1
fi
if LC_ALL=C readelf -SW "$bin" | grep -q '\.symtab'; then
  echo "cross: $bin still has a symbol table (profile.release.strip?)" >&2
  exit 1
fi
echo "cross: $target: $(stat -c %s "$bin") bytes, static, stripped" >&2
echo "$bin"
