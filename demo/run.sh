#!/usr/bin/env bash
# `make demo`: the whole campaign in one command, on this machine, in
# network namespaces (demo/lib.sh has the lab and every step):
#
#   1. the IT centre builds a feed from raw lists, signs it, serves it
#      over HTTPS;
#   2. a unit router (nftables, dnsmasq for DHCP and DNS, iocguard in
#      dns.mode behind) syncs it and runs the daemon;
#   3. three LAN hosts take DHCP leases; two of them beacon (listed
#      names, listed IPv4 and IPv6 addresses, a hard-coded outside
#      resolver); one user gets the notice page;
#   4. the admin lists the infected hosts, acknowledges one, sees it
#      re-infected, prints the report; the IT centre merges it with two
#      other units' signed reports.
#
# usage: demo/run.sh [--keep]     (as root; --keep leaves the lab up)
# IOCGUARD=PATH uses that binary instead of building target/release/iocguard.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0
case "${1:-}" in
"") ;;
--keep) keep=1 ;;
-h | --help)
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: demo/run.sh [--keep]" >&2
	exit 2
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root (it creates network namespaces and nftables rules): run it as root, e.g. sudo make demo" >&2
	exit 1
fi

# What a fresh Debian/Ubuntu machine lacks, installed as .ci/run does.
need_apt=()
for pkg_bin in nftables:nft iproute2:ip dnsmasq-base:dnsmasq busybox:busybox openssl:openssl \
	python3:python3 procps:sysctl; do
	command -v "${pkg_bin#*:}" >/dev/null 2>&1 || need_apt+=("${pkg_bin%%:*}")
done
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "installing ${need_apt[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ -z "${IOCGUARD:-}" ]; then
	if ! command -v cargo >/dev/null 2>&1; then
		echo "make demo builds iocguard with cargo: install Rust first (https://rustup.rs)" >&2
		exit 1
	fi
	echo "building iocguard (cargo build --release)…"
	cargo build --release --locked --quiet --bin iocguard
fi

export DEMO_ID=$$
export DEMO_DIR=/tmp/iocguard-demo-$$
# shellcheck source=demo/lib.sh
. demo/lib.sh

if [ -t 1 ]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' OFF=$'\e[0m'
else
	BOLD='' DIM='' OFF=''
fi

# The terminal, for finish: an interrupt can land while a step's output
# is redirected to a file.
exec 3>&1 4>&2
finish() {
	local rc=$?
	trap - EXIT INT TERM
	exec 1>&3 2>&4
	if [ "$keep" -eq 1 ] && [ "$rc" -eq 0 ]; then
		echo
		echo "${BOLD}The lab is still up.${OFF} Poke at it, for example:"
		echo "  ip netns exec $NS_ROUTER $IOCGUARD --config $CONF hosts"
		echo "  ip netns exec $NS_ROUTER $IOCGUARD --config $CONF host ketoan-pc"
		echo "  ip netns exec $NS_ROUTER nft list table inet iocguard"
		echo "  ip netns exec $(pc_ns kho-laptop) python3 demo/probe.py tcp 203.0.113.70 443"
		echo "  ip netns exec $(pc_ns letan-pc) python3 demo/probe.py dns $ROUTER_LAN4 cdn.evil-c2.example"
		echo "Remove it (namespaces, processes, files):"
		echo "  DEMO_ID=$DEMO_ID bash demo/lib.sh lab_down"
		return
	fi
	lab_down
	if [ "$rc" -eq 130 ]; then
		echo "demo interrupted; the lab was removed" >&2
	elif [ "$rc" -ne 0 ]; then
		echo "demo failed (exit $rc); the lab was removed" >&2
	fi
}
trap finish EXIT
trap 'exit 130' INT TERM

step() {
	printf '\n%s== %s%s\n' "$BOLD" "$*" "$OFF"
}

say() {
	printf '%s\n' "$*" | fold -s -w 76 | sed 's/^/   /'
}

# show WHERE DISPLAY CMD…: prints "[WHERE] $ DISPLAY", runs CMD and
# prints its output indented; returns CMD's exit code.
show() {
	local where=$1 display=$2
	shift 2
	printf '   %s[%s]%s $ %s\n' "$DIM" "$where" "$OFF" "$display"
	local rc=0
	"$@" >"$DEMO_DIR/out" 2>&1 || rc=$?
	sed 's/^/     /' "$DEMO_DIR/out"
	return "$rc"
}

lab_up
step "The lab"
say "Namespaces $NS_CENTER, $NS_ROUTER, $NS_WAN and one per LAN host \
($(pc_ns letan-pc) …), documentation addresses only, no link to this \
machine's network. In the listings, [router] \$ iocguard … stands for \
ip netns exec $NS_ROUTER $IOCGUARD --config $CONF …, and [ketoan-pc] \$ \
probe.py … for ip netns exec $(pc_ns ketoan-pc) python3 demo/probe.py …"

step "1. The IT centre builds, signs and publishes the campaign feed"
show center "iocguard feed keygen --pub keys/campaign.pub --sec keys/campaign.key" center_keygen
say "Raw lists in four formats (demo/data/raw/): Feodo CSV, ipset, hosts file, adblock."
show center "iocguard feed build --name campaign --out www/campaign.txt --allow-reserved $ALLOW4 --allow-reserved $ALLOW6 demo/data/raw/*" center_feed
show center "cat www/campaign.txt" cat "$C/www/campaign.txt"
show center "iocguard feed sign --sec keys/campaign.key www/campaign.txt" center_sign
center_ca
center_serve
say "Served at $FEED_URL by a real HTTPS server (python3 http.server + TLS), \
certificate from a throwaway CA (openssl) that the router trusts (option ca_bundle)."

step "2. The Internet"
wan_up
say "ISP resolver $UPSTREAM_DNS (answers the listed names too, so a missed block would show), \
a rogue resolver $ROGUE_DNS hard-coded in malware (answers every name with its C2), \
a benign site $BENIGN_WEB (benign.example), and C2 servers answering on every address \
of $C2_NET4 and $C2_NET6."

step "3. The unit router: nftables, dnsmasq (DHCP + DNS), iocguard"
router_config
say "/etc/config/iocguard (here $CONF): the feed URL and the centre's public \
key, the LAN, dns.mode behind (dnsmasq keeps port 53 and DHCP and forwards \
to iocguard on $BEHIND_LISTEN with the client's MAC), the notice page:"
show router "grep -E \"mode|url|pubkey|listen|upstream|list lan|notice'\" iocguard.conf" \
	grep -E "mode|url|pubkey|listen|upstream|list lan|notice'" "$CONF"
show router "dnsmasq --interface=br-lan --dhcp-range=$DHCP_RANGE --dhcp-leasefile=dhcp.leases --no-resolv --server=$BEHIND_DNSMASQ --add-mac …" \
	router_dnsmasq
show router "iocguard sync" router_sync
show router "iocguard status" iocg status
show router "iocguard run &" daemon_start

step "4. The LAN: three hosts take DHCP leases, two of them are infected"
for pc in "${PCS[@]}"; do
	show "$pc" "udhcpc -i eth0 -x hostname:$pc -q -n" pc_dhcp "$pc"
	say "$pc: MAC ${PC_MAC[$pc]}, address $(pc_ip "$pc") from DHCP, resolver $(pc_dns "$pc"), ${PC_V6[$pc]} static"
done
show router "cat /tmp/dhcp.leases" cat "$R/dhcp.leases"

say "letan-pc is clean: the benign site works, and an unlisted address on the C2 network answers (the servers are up: a missed block would show)."
show letan-pc "probe.py dns $ROUTER_LAN4 www.benign.example" probe letan-pc dns "$ROUTER_LAN4" www.benign.example
show letan-pc "probe.py http http://$BENIGN_WEB/" probe letan-pc http "http://$BENIGN_WEB/"
show letan-pc "probe.py tcp 203.0.113.200 443" probe letan-pc tcp 203.0.113.200 443

say "ketoan-pc beacons: a listed name through the router's resolver, listed IPv4 and IPv6 addresses."
show ketoan-pc "probe.py dns $ROUTER_LAN4 cdn.evil-c2.example" probe ketoan-pc dns "$ROUTER_LAN4" cdn.evil-c2.example
show ketoan-pc "probe.py tcp 203.0.113.7 443" probe ketoan-pc tcp 203.0.113.7 443
show ketoan-pc "probe.py tcp 2001:db8:3::5 443" probe ketoan-pc tcp 2001:db8:3::5 443

say "kho-laptop's malware asks its own resolver $ROGUE_DNS: the router pulls that query back to itself (force_dns) and the sinkhole answers."
show kho-laptop "probe.py dns $ROGUE_DNS update.botnet-update.example" probe kho-laptop dns "$ROGUE_DNS" update.botnet-update.example
show kho-laptop "probe.py tcp 203.0.113.70 443" probe kho-laptop tcp 203.0.113.70 443
# The daemon reads the leases every 10 s: names can take that long.
wait_until 25 "both infected hosts, named, in the host log" hosts_found ketoan-pc kho-laptop

step "5. The user of ketoan-pc opens a web page and gets the notice"
wait_until 15 "ketoan-pc in the notice set" in_notice_set ketoan-pc
show ketoan-pc "probe.py http http://$BENIGN_WEB/ --follow" probe ketoan-pc http "http://$BENIGN_WEB/" --follow
show ketoan-pc "probe.py understand http://$ROUTER_LAN4:$NOTICE_PORT/   # the \"Tôi đã hiểu\" button" \
	probe ketoan-pc understand "http://$ROUTER_LAN4:$NOTICE_PORT/"
show ketoan-pc "probe.py http http://$BENIGN_WEB/" probe ketoan-pc http "http://$BENIGN_WEB/"

step "6. The admin: who is infected, cleaning, re-infection"
show router "iocguard hosts" iocg hosts
show router "iocguard ack ketoan-pc --note 'cài lại Windows'" iocg ack ketoan-pc --note 'cài lại Windows'
after_ack ketoan-pc
say "The technician reinstalled ketoan-pc from a backup that still holds the malware. It beacons again:"
show ketoan-pc "probe.py tcp 203.0.113.7 443" probe ketoan-pc tcp 203.0.113.7 443
wait_until 15 "ketoan-pc re-infected" host_state ketoan-pc reinfected
show router "iocguard hosts" iocg hosts

step "7. The campaign report (Vietnamese, the ministry's template)"
show router "iocguard report" iocg report

step "8. The IT centre merges the units' signed reports"
show router "iocguard report --format json --out unit.json --sign unit.key" unit_report
say "Two other units' reports (demo/data/units/) arrive signed with their own keys; \
the centre holds every unit's public key as keys/UNIT.pub and a roster of the units expected."
other_units
show center "iocguard report merge reports/*.json --keys keys/ --roster roster.txt" center_merge
step "Done"
say "Every step above ran real components: iocguard, nftables, dnsmasq, busybox udhcpc, an HTTPS server."
