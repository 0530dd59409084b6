#!/usr/bin/env bash
# `make test`: every test, and an honest account of those that could not run.
#
# 1. `cargo test` runs all tests that need nothing beyond an ordinary user.
# 2. Tests that need root or a tool are `#[ignore = "needs …"]` (they fail
#    when run without it: tests/common/require.rs). For every test target
#    with ignored tests this script looks up their requirements in the table
#    below, runs them with `--ignored` where the requirements are met here,
#    and otherwise counts them as skipped, naming what is missing.
# 3. A summary says how many tests were skipped and why.
#
# Under CI (`CI` set, not "", "false" or "0") a test that cannot run is an
# error: CI must run everything. An ignored test without an entry in the
# table is always an error, so none is left behind un-run.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo=${CARGO:-cargo}

# Requirements of the ignored tests: "TARGET REQ…", or "TARGET::TEST REQ…"
# for one test of TARGET (it takes precedence over the TARGET entry).
# TARGET is an integration test name (tests/TARGET.rs) or `lib`. Keep in
# line with the #[ignore = "needs …"] reasons and the require(&[…]) calls.
# Requirement names: root, ipv6-loopback, or a command looked up on PATH.
REQUIREMENTS=(
  "enforce root ip nft"
  "enforce::nflog_overflow_is_reported_as_lost root ip nft"
  "sync_lab root ip nft"
  "hosts_lab root ip nft python3"
  "dns_netns root ip dnsmasq dig"
  "dns_netns::forged_replies_flooded_from_the_wan_never_reach_the_lan_client root ip dig"
  "minisign minisign"
  "report_merge minisign"
  "sync minisign"
  "sync_http minisign"
  "fetch ipv6-loopback"
  "package busybox"
  "package::router_and_build_scripts_are_shellcheck_clean shellcheck"
  "package::the_apk_installs_and_removes_with_apk_tools_3 root busybox apk-kit"
  "package::the_apk_is_reproducible apk-kit"
  "report_html chromium"
  "notice_lab root ip nft python3 chromium"
  "luci_app root ip nft chromium python3 openwrt-kit"
  "luci_package::the_vietnamese_catalogue_compiles_to_the_lmo_luci_reads python3"
  "luci_package::the_app_installs_and_removes_with_apk_on_the_kit root openwrt-kit apk-kit"
  "luci_package::the_app_build_script_is_shellcheck_clean shellcheck"
  "system root ip nft dnsmasq busybox openssl python3"
  "openwrt_kit root ip nft dnsmasq dig openwrt-kit"
)

in_ci() {
  case "${CI:-}" in
    "" | false | 0) return 1 ;;
    *) return 0 ;;
  esac
}

# Whether requirement $1 is met on this machine.
have() {
  case "$1" in
    root) [ "$(id -u)" -eq 0 ] ;;
    ipv6-loopback) grep -qs '^00000000000000000000000000000001 ' /proc/net/if_inet6 ;;
    # A tool no registry has: built from ../shared/ by the tests that use it.
    openwrt-kit) [ -f "${IOCGUARD_OWRT_KIT:-../shared/openwrt-userland}/build.sh" ] ;;
    apk-kit) [ -f "${IOCGUARD_APK_TOOLS:-../shared/apk-tools}/build.sh" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

# "1 test", "2 tests".
tests() {
  if [ "$1" -eq 1 ]; then echo "1 test"; else echo "$1 tests"; fi
}

# The requirements of test $2 of target $1 (empty output: no entry).
requirements_of() {
  local entry key found=""
  for entry in "${REQUIREMENTS[@]}"; do
    key=${entry%% *}
    if [ "$key" = "$1::$2" ]; then
      echo "${entry#* }"
      return
    fi
    if [ "$key" = "$1" ]; then
      found=${entry#* }
    fi
  done
  echo "$found"
}

echo "== cargo test (tests that need nothing special)"
"$cargo" test --locked

# Every ignored test, as "TARGET TEST" lines. `--list` prints one
# "name: test" line per test on stdout; cargo names the target before it
# on stderr ("Running tests/enforce.rs (…)", "Running unittests src/lib.rs
# (…)", "Doc-tests iocguard").
echo "== listing ignored tests"
listing=$("$cargo" test --locked -- --list --ignored 2>&1)
ignored=()
target=""
while IFS= read -r line; do
  case "$line" in
    *"Running tests/"*.rs" ("*)
      target=${line#*Running tests/}
      target=${target%%.rs (*}
      ;;
    *"Running unittests src/lib.rs ("*) target=lib ;;
    *"Running "* | *"Doc-tests "*)
      target=${line#"${line%%[! ]*}"}
      ;;
    *": test")
      [ -n "$target" ] || { echo "run.sh: test before any target in the listing: $line" >&2; exit 1; }
      ignored+=("$target ${line%: test}")
      ;;
  esac
done <<<"$listing"

errors=()
skipped_total=0
skip_lines=()
ran_lines=()
failed=()

# Targets in listing order, each once.
targets=()
for t in "${ignored[@]}"; do
  t=${t%% *}
  case " ${targets[*]} " in
    *" $t "*) ;;
    *) targets+=("$t") ;;
  esac
done

for t in "${targets[@]}"; do
  case "$t" in
    lib) selector=(--lib) ;;
    *" "*) selector=() ;;
    *) selector=(--test "$t") ;;
  esac
  # Group this target's ignored tests by their requirement list.
  declare -A group_tests=()
  groups=()
  for entry in "${ignored[@]}"; do
    [ "${entry%% *}" = "$t" ] || continue
    name=${entry#* }
    reqs=$(requirements_of "$t" "$name")
    if [ -z "$reqs" ] || [ ${#selector[@]} -eq 0 ]; then
      errors+=("ignored test $name in $t has no entry in the REQUIREMENTS table of tests/run.sh")
      continue
    fi
    if [ -z "${group_tests[$reqs]+x}" ]; then
      groups+=("$reqs")
      group_tests[$reqs]=""
    fi
    group_tests[$reqs]+=" $name"
  done
  runnable=()
  all_runnable=1
  for reqs in "${groups[@]}"; do
    read -r -a names <<<"${group_tests[$reqs]}"
    missing=()
    for r in $reqs; do
      have "$r" || missing+=("$r")
    done
    if [ ${#missing[@]} -eq 0 ]; then
      runnable+=("${names[@]}")
      ran_lines+=("ran $(tests ${#names[@]}) in $t (needs $reqs)")
    else
      all_runnable=0
      n=${#names[@]}
      skipped_total=$((skipped_total + n))
      msg="skipped $(tests "$n") in $t: needs $reqs (missing: ${missing[*]})"
      skip_lines+=("$msg")
      if in_ci; then
        errors+=("CI is set but $msg")
      fi
    fi
  done
  unset group_tests
  if [ ${#runnable[@]} -gt 0 ]; then
    if [ "$all_runnable" -eq 1 ]; then
      filter=()
    else
      filter=(--exact "${runnable[@]}")
    fi
    echo "== cargo test ${selector[*]} -- --ignored${filter[*]:+ ${filter[*]}}"
    "$cargo" test --locked "${selector[@]}" -- --ignored "${filter[@]}" || failed+=("$t")
  fi
done

echo
echo "== summary"
for l in "${ran_lines[@]}"; do
  echo "$l"
done
if [ "$skipped_total" -eq 0 ]; then
  echo "no tests skipped"
else
  for l in "${skip_lines[@]}"; do
    echo "$l"
  done
  echo "$(tests "$skipped_total") skipped in total: what they need is missing here"
fi
status=0
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ignored tests in ${failed[*]}" >&2
  status=1
fi
for e in "${errors[@]}"; do
  echo "ERROR: $e" >&2
  status=1
done
exit "$status"
