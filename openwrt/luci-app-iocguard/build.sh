#!/usr/bin/env bash
# Builds luci-app-iocguard as OpenWrt packages WITHOUT the SDK:
#
#   openwrt/luci-app-iocguard/build.sh [--out DIR] [--apk PATH]
#
# --out  output directory [dist/]
# --apk  the apk-tools 3 binary for the .apk [$APK, else built from
#        ../shared/apk-tools (or $IOCGUARD_APK_TOOLS) into
#        $IOCGUARD_CACHE/apk (default /var/cache/iocguard/apk)]; with none
#        of these only the .ipk is written, and the script says so.
#
# Writes DIR/luci-app-iocguard_VERSION_all.ipk and
# DIR/luci-app-iocguard-VERSION.apk, the same files as luci.mk installs
# (Makefile beside this script): htdocs/ -> /www, root/ -> /, the
# Vietnamese catalogue as /usr/lib/lua/luci/i18n/iocguard.vi.lmo. The
# app is JavaScript, JSON and ucode: Architecture all (apk: noarch).
# Prints the paths of the packages, one per line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

out=dist apk=${APK:-}
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:?}; shift 2 ;;
    --apk) apk=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "luci build: unknown argument $1" >&2; exit 2 ;;
  esac
done
tools=${IOCGUARD_APK_TOOLS:-$root/../shared/apk-tools}
if [ -z "$apk" ] && [ -f "$tools/build.sh" ]; then
  apk=$(bash "$tools/build.sh" "${IOCGUARD_CACHE:-/var/cache/iocguard}/apk" | tail -n 1)
fi
if [ -n "$apk" ] && ! "$apk" --version | grep -q '^apk-tools 3\.'; then
  echo "luci build: $apk is not apk-tools 3" >&2
  exit 1
fi

mkvar() { sed -n "s/^$1:=//p" "$here/Makefile" | head -n 1; }
name=$(mkvar PKG_NAME)
version=$(mkvar PKG_VERSION)-r$(mkvar PKG_RELEASE)
license=$(mkvar PKG_LICENSE)
maintainer=$(mkvar PKG_MAINTAINER)
title=$(mkvar LUCI_TITLE)
cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[ "${version%-r*}" = "$cargo_version" ] || {
  echo "luci build: $here/Makefile PKG_VERSION ${version%-r*} != Cargo.toml $cargo_version" >&2
  exit 1
}
# "+luci-base +rpcd-mod-ucode +iocguard" -> "luci-base, rpcd-mod-ucode, iocguard"
deps=$(mkvar LUCI_DEPENDS | tr ' ' '\n' | sed -n 's/^+//p')

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$work/data ctrl=$work/control
mkdir -p "$data/www" "$ctrl"
cp -R "$here/htdocs/." "$data/www/"
cp -R "$here/root/." "$data/"
mkdir -p "$data/usr/lib/lua/luci/i18n"
for po in "$here"/po/*/iocguard.po; do
  lang=$(basename "$(dirname "$po")")
  python3 "$here/po2lmo.py" "$po" "$data/usr/lib/lua/luci/i18n/iocguard.$lang.lmo"
done
find "$data" -type d -exec chmod 0755 {} +
find "$data" -type f -exec chmod 0644 {} +

# What luci.mk's postinst/postrm do: LuCI rebuilds its menu and module
# caches, rpcd re-reads ACLs and plugins (SIGHUP makes it re-exec).
postinst=$work/postinst
# shellcheck disable=SC2016 # written out literally, expanded on the router
printf '%s\n' '#!/bin/sh' '[ -n "${IPKG_INSTROOT}" ] && exit 0' \
  'rm -f /tmp/luci-indexcache.* /tmp/luci-indexcache' 'rm -rf /tmp/luci-modulecache/' \
  '/etc/init.d/rpcd reload 2>/dev/null' 'exit 0' >"$postinst"

# shellcheck source=openwrt/ipk.sh
. "$root/openwrt/ipk.sh"
tarc "$data" >"$work/data.tar.gz"
installed_size=$(gzip -dc "$work/data.tar.gz" | wc -c)
{
  echo "Package: $name"
  echo "Version: $version"
  echo "Depends: $(echo "$deps" | paste -sd, - | sed 's/,/, /g')"
  echo "Source: feeds/luci/applications/$name"
  echo "License: $license"
  echo "Section: luci"
  echo "Maintainer: $maintainer"
  echo "Architecture: all"
  echo "Installed-Size: $installed_size"
  echo "Description: $title"
} >"$ctrl/control"
cp "$postinst" "$ctrl/postinst"
cp "$postinst" "$ctrl/postrm"
chmod 0644 "$ctrl/control"
chmod 0755 "$ctrl/postinst" "$ctrl/postrm"
tarc "$ctrl" >"$work/control.tar.gz"
mkdir -p "$out"
ipk=$out/${name}_${version}_all.ipk
pack_ipk "$work" "$ipk"
case $ipk in /*) echo "$ipk" ;; *) echo "$root/$ipk" ;; esac

if [ -z "$apk" ]; then
  echo "luci build: no apk-tools 3 (--apk, \$APK or $tools): the .apk was not built" >&2
  exit 0
fi
# OpenWrt's apk packages: version without the "r" of the release suffix
# rules (0.1.0-r1 is valid apk syntax), arch noarch for Architecture all.
apkfile=$out/$name-$version.apk
depinfo=$(echo "$deps" | paste -sd' ' -)
"$apk" mkpkg --info "name:$name" --info "version:$version" --info "arch:noarch" \
  --info "description:$title" --info "license:$license" --info "maintainer:$maintainer" \
  --info "origin:$name" --info "depends:$depinfo" \
  --script "post-install:$postinst" --script "post-upgrade:$postinst" --script "post-deinstall:$postinst" \
  --files "$data" --output "$apkfile"
case $apkfile in /*) echo "$apkfile" ;; *) echo "$root/$apkfile" ;; esac
