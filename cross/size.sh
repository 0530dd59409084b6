#!/usr/bin/env bash
# Prints the size of each built release binary and, when cargo-bloat is
# installed, the per-crate share of .text for that target.
#   cross/size.sh [TARGET…]      (default: every target built so far)
# Budget: the aarch64 binary must stay <= 3 MB (3,000,000 bytes); the
# script exits 1 if it does not. SIZE_BLOAT=0 skips the breakdown.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=3000000
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(aarch64-unknown-linux-musl armv7-unknown-linux-musleabihf x86_64-unknown-linux-musl
  mipsel-unknown-linux-musl mips-unknown-linux-musl)

have_bloat=0
if [ "${SIZE_BLOAT:-1}" != 0 ]; then
  if cargo bloat --version >/dev/null 2>&1; then
    have_bloat=1
  else
    echo "(cargo-bloat not installed: 'cargo install cargo-bloat' for the per-crate breakdown)"
  fi
fi

status=0
shown=0
for t in "${targets[@]}"; do
  bin=target/$t/release/iocguard
  if [ ! -f "$bin" ]; then
    echo "$t: not built (make cross TARGET=$t)"
    continue
  fi
  shown=1
  bytes=$(stat -c %s "$bin")
  printf '%s: %s bytes (%s KiB), %s\n' "$t" "$bytes" "$((bytes / 1024))" \
    "$(LC_ALL=C readelf -lW "$bin" | grep -q 'program interpreter' && echo dynamic || echo static)"
  if [ "$t" = aarch64-unknown-linux-musl ] && [ "$bytes" -gt "$budget" ]; then
    echo "  OVER BUDGET: $bytes > $budget bytes" >&2
    status=1
  fi
  if [ "$have_bloat" = 1 ]; then
    # cargo-bloat needs symbols, so it builds the same release profile with
    # strip off in its own target dir (the shipped binary is untouched).
    (
      # shellcheck source=cross/env.sh
      . cross/env.sh "$t"
      zflags=()
      for a in ${CROSS_BUILD_ARGS[@]+"${CROSS_BUILD_ARGS[@]}"}; do zflags+=(-Z "${a#-Z}"); done
      CARGO_PROFILE_RELEASE_STRIP=false "${CARGO_CMD[@]}" bloat --locked --release --crates -n 12 \
        --target "$t" --target-dir target/bloat ${zflags[@]+"${zflags[@]}"} 2>/dev/null | sed 's/^/  /'
    ) || echo "  (cargo bloat failed for $t)"
  fi
done
[ "$shown" = 1 ] || echo "no cross binary built yet: make cross TARGET=aarch64-unknown-linux-musl"
exit "$status"
