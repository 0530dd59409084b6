#!/usr/bin/env bash
# Builds an OpenWrt .ipk for iocguard WITHOUT the OpenWrt SDK, from a
# cross-built static binary and openwrt/files/.
#
#   openwrt/build-ipk.sh --arch aarch64_generic [--bin PATH] [--out DIR]
#
# --arch  OpenWrt package architecture (opkg print-architecture on the
#         router): aarch64_* (e.g. aarch64_generic, aarch64_cortex-a53),
#         arm_cortex-a*_{vfp*,neon*} (armv7 with an FPU, e.g.
#         arm_cortex-a7_neon-vfpv4), x86_64, mipsel_* / mips_* (e.g.
#         mipsel_24kc; soft-float, see cross/README.md).
# --bin   use this binary instead of building one with cross/build.sh (the
#         packaging is architecture-independent except the binary; the test
#         packs the host binary this way to stay fast).
# --out   output directory [dist/].
# --stage DIR  only lay out the package in DIR (DIR/data: the files,
#         DIR/control: control, conffiles and scripts) and stop; the
#         .apk builder (build-apk.sh) packs the same tree with apk mkpkg.
#
# The format is what OpenWrt's scripts/ipkg-build writes and opkg reads: an
# outer gzip'd tar (not an ar archive like a .deb) holding ./debian-binary
# ("2.0"), ./data.tar.gz and ./control.tar.gz, all GNU tar, numeric owner
# root:root, sorted names, one fixed mtime (SOURCE_DATE_EPOCH, default: the
# last commit's time) and gzip -n, so the same inputs give the same bytes.
# The file list and modes mirror Package/iocguard/install in openwrt/Makefile
# (INSTALL_BIN 0755, INSTALL_CONF 0600, INSTALL_DATA 0644); the control
# scripts mirror what package-ipkg.mk generates.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

arch='' bin='' out=dist stage=
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --bin) bin=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --stage) stage=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-ipk: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$arch" ] || { echo "build-ipk: --arch is required (e.g. aarch64_generic)" >&2; exit 2; }

case $arch in
  aarch64_*) target=aarch64-unknown-linux-musl ;;
  arm_cortex-a*_*vfp* | arm_cortex-a*_neon*) target=armv7-unknown-linux-musleabihf ;;
  x86_64) target=x86_64-unknown-linux-musl ;;
  # ath79/ramips (24Kc, 74Kc, 1004Kc): soft-float, see cross/README.md.
  mipsel_*) target=mipsel-unknown-linux-musl ;;
  mips_*) target=mips-unknown-linux-musl ;;
  *) echo "build-ipk: no recipe for package architecture $arch" >&2; exit 2 ;;
esac

if [ -z "$bin" ]; then
  bin=$(bash cross/build.sh "$target" | tail -n 1)
fi
[ -f "$bin" ] || { echo "build-ipk: binary $bin not found" >&2; exit 1; }

# Name, version and metadata come from the package Makefile, so both ways
# of building the package say the same thing.
mkvar() { sed -n "s/^$1:=//p" openwrt/Makefile | head -n 1; }
name=$(mkvar PKG_NAME)
version=$(mkvar PKG_VERSION)-r$(mkvar PKG_RELEASE)
license=$(mkvar PKG_LICENSE)
maintainer=$(mkvar PKG_MAINTAINER)
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[ "${version%-r*}" = "$cargo_version" ] || {
  echo "build-ipk: openwrt/Makefile PKG_VERSION ${version%-r*} != Cargo.toml $cargo_version" >&2
  exit 1
}
# DEPENDS line(s) of Package/iocguard minus the build-time arch condition:
# "+a +b" -> "a, b".
# shellcheck disable=SC2016 # the $(…) is make syntax, matched literally
depends=$(sed -n '/^  DEPENDS:=/,/[^\\]$/p' openwrt/Makefile |
  sed 's/^  DEPENDS:=//; s/\\$//; s/\$(RUST_ARCH_DEPENDS)//' | tr -s ' \t\n' '\n' |
  sed -n 's/^+//p' | paste -sd, - | sed 's/,/, /g')
description=$(sed -n '/^define Package\/iocguard\/description$/,/^endef$/p' openwrt/Makefile |
  sed '1d; $d; s/^ */ /')

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$work/data ctrl=$work/control
mkdir -p "$data" "$ctrl"

# --- data: Package/iocguard/install -------------------------------------
put() { # put MODE SRC DEST
  install -D -m "$1" "$2" "$data$3"
}
put 0755 "$bin" /usr/sbin/iocguard
put 0755 openwrt/files/iocguard.init /etc/init.d/iocguard
put 0600 openwrt/files/iocguard.config /etc/config/iocguard
put 0755 openwrt/files/iocguard.uci-defaults /etc/uci-defaults/90-iocguard
put 0644 openwrt/files/iocguard.firewall /usr/share/iocguard/firewall.include
put 0755 openwrt/files/iocguard.dnsmasq /usr/share/iocguard/dnsmasq.sh
put 0755 openwrt/files/iocguard.dnsguard /usr/share/iocguard/dnsguard.sh

# conffiles: files go to CONTROL/conffiles; directories (the flash state
# dir) go to /lib/upgrade/keep.d/ so sysupgrade keeps them, as
# package-ipkg.mk does.
conffiles=$(sed -n '/^define Package\/iocguard\/conffiles$/,/^endef$/p' openwrt/Makefile | sed '1d; $d')
: >"$ctrl/conffiles"
for c in $conffiles; do
  if [ -f "$data$c" ]; then
    echo "$c" >>"$ctrl/conffiles"
  else
    mkdir -p "$data/lib/upgrade/keep.d"
    echo "$c" >>"$data/lib/upgrade/keep.d/$name"
  fi
done
[ -f "$data/lib/upgrade/keep.d/$name" ] && chmod 0644 "$data/lib/upgrade/keep.d/$name"
LC_ALL=C sort -o "$ctrl/conffiles" "$ctrl/conffiles"
find "$data" -type d -exec chmod 0755 {} +

# shellcheck source=openwrt/ipk.sh
. openwrt/ipk.sh
tarc "$data" >"$work/data.tar.gz"
installed_size=$(gzip -dc "$work/data.tar.gz" | wc -c)

# --- control ----------------------------------------------------------------
{
  echo "Package: $name"
  echo "Version: $version"
  echo "Depends: $depends"
  echo "Source: openwrt"
  echo "License: $license"
  echo "LicenseFiles: LICENSE-MIT LICENSE-APACHE"
  echo "Section: net"
  echo "Maintainer: $maintainer"
  echo "Architecture: $arch"
  echo "Installed-Size: $installed_size"
  echo "Description: ${description# }"
} >"$ctrl/control"
# The wrappers package-ipkg.mk writes (here with quoted expansions): all the work is in
# /lib/functions.sh (run uci-defaults, enable + start the init script; on
# removal disable + stop it), plus our prerm-pkg.
# shellcheck disable=SC2016 # written out literally, expanded on the router
printf '%s\n' '#!/bin/sh' '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0' \
  '. "${IPKG_INSTROOT}/lib/functions.sh"' 'default_postinst "$0" "$@"' >"$ctrl/postinst"
# shellcheck disable=SC2016
printf '%s\n' '#!/bin/sh' '. "${IPKG_INSTROOT}/lib/functions.sh"' 'default_prerm "$0" "$@"' >"$ctrl/prerm"
{ echo '#!/bin/sh'; cat openwrt/files/iocguard.prerm; } >"$ctrl/prerm-pkg"
chmod 0644 "$ctrl/control" "$ctrl/conffiles"
chmod 0755 "$ctrl/postinst" "$ctrl/prerm" "$ctrl/prerm-pkg"
if [ -n "$stage" ]; then
  mkdir -p "$stage"
  cp -a "$data" "$ctrl" "$stage/"
  echo "$stage"
  exit 0
fi
tarc "$ctrl" >"$work/control.tar.gz"

mkdir -p "$out"
ipk=$out/${name}_${version}_${arch}.ipk
pack_ipk "$work" "$ipk"
echo "build-ipk: $ipk ($(stat -c %s "$ipk") bytes, installed $installed_size bytes, binary $(stat -c %s "$bin"))" >&2
case $ipk in /*) echo "$ipk" ;; *) echo "$root/$ipk" ;; esac
