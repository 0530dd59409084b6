#!/usr/bin/env bash
# Builds an OpenWrt 25.12+ .apk (apk-tools 3, ADB format) for iocguard
# WITHOUT the OpenWrt SDK, from the same file tree as the .ipk.
#
#   openwrt/build-apk.sh --arch x86_64 [--bin PATH] [--out DIR] [--apk PATH]
#
# --arch, --bin, --out  as for build-ipk.sh (the tree comes from
#         `build-ipk.sh --stage`, so both packages carry the same files,
#         modes, conffiles and removal hook).
# --apk   the apk-tools 3 binary [$APK, else built from ../shared/apk-tools
#         into $IOCGUARD_CACHE/apk (default /var/cache/iocguard/apk)].
#
# What OpenWrt's include/package-pack.mk puts into an .apk, done the same
# way: the files plus lib/apk/packages/iocguard.list (every file and link,
# listed before the conffile lists are added), .conffiles and
# .conffiles_static ("PATH SHA256" of each conffile); metadata name,
# version (0.1.0-r1), description, arch, license, origin, url, maintainer
# and depends (the Makefile's DEPENDS without "+"); scripts post-install
# (default_postinst), post-upgrade (the same with PKG_UPGRADE=1) and
# pre-deinstall (default_prerm, then our prerm-pkg text). The SDK signs
# with the build key; this one is unsigned: install it with
# `apk add --allow-untrusted`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

arch='' bin='' out=dist apk=${APK:-}
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --bin) bin=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --apk) apk=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-apk: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$arch" ] || { echo "build-apk: --arch is required (e.g. x86_64)" >&2; exit 2; }

if [ -z "$apk" ]; then
  tools=${IOCGUARD_APK_TOOLS:-$root/../shared/apk-tools}
  [ -f "$tools/build.sh" ] || {
    echo "build-apk: no apk-tools 3 (set --apk, \$APK, or provide $tools)" >&2
    exit 1
  }
  apk=$(bash "$tools/build.sh" "${IOCGUARD_CACHE:-/var/cache/iocguard}/apk" | tail -n 1)
fi
"$apk" --version | grep -q '^apk-tools 3\.' || { echo "build-apk: $apk is not apk-tools 3" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash openwrt/build-ipk.sh --arch "$arch" ${bin:+--bin "$bin"} --stage "$work" >/dev/null
data=$work/data ctrl=$work/control

field() { sed -n "s/^$1: //p" "$ctrl/control"; }
name=$(field Package)
version=$(field Version)
# The Description field with its continuation lines, as one line (what
# package-pack.mk's description_escape gives).
description=$(sed -n '/^Description: /,$p' "$ctrl/control" | sed '1s/^Description: //; s/^ *//' | tr '\n' ' ' | sed 's/ *$//')
license=$(field License)
maintainer=$(field Maintainer)
# "a, b, c" -> "a b c"
depends=$(field Depends | sed 's/, */ /g')
url=$(sed -n 's/^  URL:=//p' openwrt/Makefile)

meta=$data/lib/apk/packages
mkdir -p "$meta"
# The list of installed paths, as package-pack.mk writes it (before the
# conffile lists, so they are not in it).
(cd "$data" && find . \( -type f -o -type l \) -printf '/%P\n' | LC_ALL=C sort >"$work/list")
mv "$work/list" "$meta/$name.list"
if [ -s "$ctrl/conffiles" ]; then
  cp "$ctrl/conffiles" "$meta/$name.conffiles"
  while read -r f; do
    [ -f "$data$f" ] || continue
    echo "$f $(sha256sum "$data$f" | cut -d' ' -f1)"
  done <"$ctrl/conffiles" >"$meta/$name.conffiles_static"
fi
find "$meta" -type f -exec chmod 0644 {} +
find "$data" -type d -exec chmod 0755 {} +
# One fixed mtime, as in the .ipk, so the same inputs give the same bytes.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
find "$data" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# shellcheck disable=SC2016 # written out literally, expanded on the router
{
  echo '#!/bin/sh'
  echo '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0'
  echo '[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0'
  echo '. "${IPKG_INSTROOT}/lib/functions.sh"'
  echo 'export root="${IPKG_INSTROOT}"'
  echo "export pkgname=\"$name\""
  echo 'add_group_and_user'
  echo 'default_postinst'
} >"$work/post-install"
{ echo '#!/bin/sh'; echo 'export PKG_UPGRADE=1'; sed '1d' "$work/post-install"; } >"$work/post-upgrade"
# shellcheck disable=SC2016
{
  echo '#!/bin/sh'
  echo '[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0'
  echo '. "${IPKG_INSTROOT}/lib/functions.sh"'
  echo 'export root="${IPKG_INSTROOT}"'
  echo "export pkgname=\"$name\""
  echo 'default_prerm'
  sed '1d' "$ctrl/prerm-pkg"
} >"$work/pre-deinstall"

mkdir -p "$out"
pkg=$out/${name}_${version}_${arch}.apk
"$apk" mkpkg \
  --info "name:$name" \
  --info "version:$version" \
  --info "description:$description" \
  --info "arch:$arch" \
  --info "license:$license" \
  --info "origin:$name" \
  --info "url:$url" \
  --info "maintainer:$maintainer" \
  --info "depends:$depends" \
  --script "post-install:$work/post-install" \
  --script "post-upgrade:$work/post-upgrade" \
  --script "pre-deinstall:$work/pre-deinstall" \
  --files "$data" \
  --output "$pkg.tmp"
mv "$pkg.tmp" "$pkg"
echo "build-apk: $pkg ($(stat -c %s "$pkg") bytes)" >&2
case $pkg in /*) echo "$pkg" ;; *) echo "$root/$pkg" ;; esac
