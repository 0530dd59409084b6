# shellcheck shell=bash
# CARGO_CMD/CROSS_BUILD_ARGS/CROSS_RUNNER are read by the sourcing script.
# shellcheck disable=SC2034
# Per-target cross-build environment, sourced by the other cross/ scripts:
#   . cross/env.sh TARGET
# Sets CARGO_CMD (an array: the cargo invocation prefix, stable or nightly
# with build-std) and exports the linker/CC/RUSTFLAGS variables cargo reads
# for that target only (CARGO_TARGET_<TRIPLE>_*), so a host build in the same
# shell is not affected. Recipes verified in /work/shared/CROSS-NOTES.md.
# Nothing here downloads a toolchain: rust-lld ships with rustup's rustc,
# the C cross compilers and musl come from Debian.

cross_target=${1:?usage: . cross/env.sh TARGET}
cross_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CARGO=${CARGO:-cargo}

# Upper-case triple with - replaced by _ (cargo's env-var spelling).
cross_env_name() { printf '%s' "$1" | tr 'a-z-' 'A-Z_'; }
T=$(cross_env_name "$cross_target")

case "$cross_target" in
  aarch64-unknown-linux-musl | x86_64-unknown-linux-musl)
    # Tier 2 with a prebuilt std from rustup: stable cargo, rust-lld links
    # against the self-contained musl crt/libc that the rust-std component
    # carries. rustc finds rust-lld in its own sysroot, no PATH change.
    export "CARGO_TARGET_${T}_LINKER=rust-lld"
    # Crates with C code (none today; ring/zstd would be) need a C cross
    # compiler for objects only; point cc-rs at Debian's if present.
    # ring (rustls, ed25519) is such a crate. Its C is freestanding, so
    # Debian's glibc-targeting gcc is fine for objects.
    arch=${cross_target%%-*}
    if [ "$arch" = aarch64 ] && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
      export CC_aarch64_unknown_linux_musl=aarch64-linux-gnu-gcc
    fi
    # cc-rs would look for x86_64-linux-musl-gcc, which Debian does not have.
    [ "$arch" = x86_64 ] && export CC_x86_64_unknown_linux_musl=${CC_x86_64_unknown_linux_musl:-gcc}
    CARGO_CMD=("$CARGO")
    CROSS_BUILD_ARGS=()
    CROSS_RUNNER=qemu-$arch
    [ "$arch" = x86_64 ] && CROSS_RUNNER=
    ;;
  armv7-unknown-linux-musleabihf)
    # No prebuilt std on this mirror (rustup answers 404), so std is built
    # from rust-src on nightly. Linker: Debian's glibc cross gcc driven with
    # Debian's musl specs (musl-dev:armhf), so crt1.o/libc.a are musl's.
    armlib=$cross_root/target/cross/armv7-lib
    mkdir -p "$armlib"
    # std's unwinder links -lunwind; libgcc_eh provides those symbols. The
    # symlink lives under target/ (build output), never in the repo root.
    eh=$(arm-linux-gnueabihf-gcc -print-file-name=libgcc_eh.a)
    [ -f "$eh" ] || { echo "cross: libgcc_eh.a not found (apt-get install gcc-arm-linux-gnueabihf)" >&2; return 1; }
    ln -sf "$eh" "$armlib/libunwind.a"
    export "CARGO_TARGET_${T}_LINKER=$cross_root/cross/armv7-musl-gcc"
    export "CARGO_TARGET_${T}_RUSTFLAGS=-C link-self-contained=no -C target-feature=+crt-static -L $armlib"
    export CC_armv7_unknown_linux_musleabihf=arm-linux-gnueabihf-gcc
    CARGO_CMD=("$CARGO" +nightly)
    CROSS_BUILD_ARGS=('-Zbuild-std=std,panic_abort')
    CROSS_RUNNER=qemu-arm
    ;;
  mips-unknown-linux-musl | mipsel-unknown-linux-musl)
    # Tier 3, soft-float (ath79/ramips CPUs have no FPU): std from rust-src
    # on nightly; musl and LLVM libunwind built soft-float under
    # target/cross/<arch>-sf by cross/mips-sf-toolchain.sh (see README).
    arch=${cross_target%%-*}
    sf=$cross_root/target/cross/$arch-sf
    [ -f "$sf/.done" ] || bash "$cross_root/cross/mips-sf-toolchain.sh" "$arch" >&2 || return 1
    export "CARGO_TARGET_${T}_LINKER=$sf/cc"
    export "CARGO_TARGET_${T}_RUSTFLAGS=-C link-self-contained=no -C target-feature=+crt-static -L $sf/unwind"
    # C objects (ring) against the soft-float musl headers: Debian's glibc
    # headers have no o32 soft-float variant (gnu/stubs-o32_soft.h).
    export "CC_${cross_target//-/_}=$sf/cc" "CXX_${cross_target//-/_}=$arch-linux-gnu-g++"
    export "CFLAGS_${cross_target//-/_}=-msoft-float" "CXXFLAGS_${cross_target//-/_}=-msoft-float"
    CARGO_CMD=("$CARGO" +nightly)
    # llvm-libunwind: std links our libunwind.a instead of libgcc_eh.
    CROSS_BUILD_ARGS=('-Zbuild-std=std,panic_abort' '-Zbuild-std-features=llvm-libunwind')
    # 24Kc: the FPU-less core of ath79/ramips; a hard-float instruction
    # would trap here.
    CROSS_RUNNER="qemu-$arch -cpu 24Kc"
    ;;
  *)
    echo "cross: unknown target $cross_target (see cross/README.md)" >&2
    return 1
    ;;
esac
export "CARGO_TARGET_${T}_RUNNER=${CROSS_RUNNER}"
[ -n "$CROSS_RUNNER" ] || unset "CARGO_TARGET_${T}_RUNNER"
