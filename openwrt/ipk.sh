# shellcheck shell=bash
# The .ipk layout opkg reads, written reproducibly (root-owned members,
# sorted names, one mtime: $SOURCE_DATE_EPOCH). Sourced by
# openwrt/build-ipk.sh and openwrt/luci-app-iocguard/build.sh.

# tarc DIR [MEMBERS…]: a gzip'd tar of DIR (or of MEMBERS in it) on stdout.
tarc() {
  local dir=$1
  shift
  tar -C "$dir" --format=gnu --numeric-owner --owner=0 --group=0 --sort=name \
    --mtime="@$SOURCE_DATE_EPOCH" -cf - "${@:-.}" | gzip -n -9
}

# pack_ipk WORK FILE: WORK holds data.tar.gz and control.tar.gz; writes
# the package FILE (debian-binary first, as ipkg-build orders them).
pack_ipk() {
  local work=$1 file=$2
  echo 2.0 >"$work/debian-binary"
  chmod 0644 "$work/debian-binary" "$work/data.tar.gz" "$work/control.tar.gz"
  tarc "$work" ./debian-binary ./data.tar.gz ./control.tar.gz >"$file.tmp"
  mv "$file.tmp" "$file"
}
