#!/usr/bin/env bash
# The campaign lab: an IT centre, a unit router and its LAN, and the
# Internet, as network namespaces running the real components (iocguard,
# nftables, dnsmasq for DHCP and DNS, busybox udhcpc, an HTTPS feed server
# with a throwaway CA, WAN servers).
#
#   center ── wan ("the Internet") ── router ── br-lan ─┬─ letan-pc   (clean)
#   feeds.center.example   resolvers, web,   iocguard, ├─ ketoan-pc  (infected)
#                          C2 servers        dnsmasq   └─ kho-laptop (infected)
#
# demo/run.sh (`make demo`) narrates it; tests/system.rs drives the same
# steps and asserts each one. Every step is a function; run as
#   bash demo/lib.sh STEP [ARGS…]
# with DEMO_ID (unique per run: namespace names) and DEMO_DIR (its files)
# in the environment, or source this file. Only documentation addresses
# (RFC 5737, RFC 3849) are used and no namespace has a link to the host,
# so nothing leaves the lab.
set -euo pipefail

DEMO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_ID=${DEMO_ID:-$$}
DEMO_DIR=${DEMO_DIR:-/tmp/iocguard-demo-$DEMO_ID}
IOCGUARD=${IOCGUARD:-$DEMO_REPO/target/release/iocguard}
PYTHON=${PYTHON:-python3}

# --- Addresses, ports, names: the one place to change them -----------------
NS_CENTER=demo$DEMO_ID-center
NS_ROUTER=demo$DEMO_ID-router
NS_WAN=demo$DEMO_ID-wan
# LAN hosts: name, MAC, static IPv6 (IPv4 comes from DHCP).
PCS=(letan-pc ketoan-pc kho-laptop)
declare -A PC_MAC=([letan-pc]=02:00:00:00:02:0a [ketoan-pc]=02:00:00:00:02:0b [kho-laptop]=02:00:00:00:02:0c)
declare -A PC_V6=([letan-pc]=2001:db8:1::a [ketoan-pc]=2001:db8:1::b [kho-laptop]=2001:db8:1::c)
LAN4=192.0.2.0/24
LAN6=2001:db8:1::/64
ROUTER_LAN4=192.0.2.1
ROUTER_LAN6=2001:db8:1::1
DHCP_RANGE=192.0.2.100,192.0.2.149,255.255.255.0,1h
ROUTER_WAN4=198.51.100.1
ROUTER_WAN6=2001:db8:2::1
WAN_GW4=198.51.100.2
WAN_GW6=2001:db8:2::2
WAN_CENTER4=198.51.100.5
CENTER4=198.51.100.6
FEED_HOST=feeds.center.example
FEED_URL=https://$FEED_HOST/campaign.txt
UPSTREAM_DNS=198.51.100.53   # the ISP resolver the router forwards to
ROGUE_DNS=198.51.100.99      # a resolver hard-coded in malware: answers anything
BENIGN_WEB=198.51.100.80     # benign.example
C2_NET4=203.0.113.0/24       # WAN answers every address here (C2 servers)
C2_NET6=2001:db8:3::/48
# What the gate must let feeds block (documentation ranges are refused
# by default; an allowance covers a whole protected range).
ALLOW4=203.0.113.0/24
ALLOW6=2001:db8::/32
# dnsmasq keeps 53 (DNS and DHCP) and forwards to iocguard here
# (dns.mode behind, as the OpenWrt package wires it).
BEHIND_DNSMASQ=127.0.0.1#5354
BEHIND_LISTEN=127.0.0.1:5354
NOTICE_PORT=8800
UNIT='Sở Thông tin và Truyền thông tỉnh Demo'

R=$DEMO_DIR/router
C=$DEMO_DIR/center
CONF=$R/iocguard.conf

# --- Helpers ----------------------------------------------------------------

# Runs a command in namespace $1.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# The namespace of LAN host $1.
pc_ns() {
	echo "demo$DEMO_ID-$1"
}

# iocguard in the router with the lab's configuration.
iocg() {
	in_ns "$NS_ROUTER" "$IOCGUARD" --config "$CONF" "$@"
}

# Starts "$@" in namespace $1 in the background; its pid goes to
# $DEMO_DIR/pids/$2, its output to $DEMO_DIR/logs/$2.log.
spawn() {
	local ns=$1 name=$2
	shift 2
	mkdir -p "$DEMO_DIR/pids" "$DEMO_DIR/logs"
	ip netns exec "$ns" "$@" >"$DEMO_DIR/logs/$name.log" 2>&1 </dev/null &
	echo $! >"$DEMO_DIR/pids/$name"
	# Not a job of this shell: no "Killed" notice when the lab goes down.
	disown $!
}

# Stops process $1 started by spawn (SIGTERM, or $2) and waits for it.
stop() {
	local f=$DEMO_DIR/pids/$1 pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	kill "-${2:-TERM}" "$pid" 2>/dev/null || true
	wait_until 10 "$1 to exit" not_running "$pid"
	rm -f "$f"
}

not_running() {
	! kill -0 "$1" 2>/dev/null
}

# wait_until SECONDS WHAT COMMAND…: polls COMMAND until it succeeds; fails
# naming WHAT after SECONDS. A condition, never a fixed sleep.
wait_until() {
	local limit=$1 what=$2 end
	shift 2
	end=$(($(date +%s%N) + limit * 1000000000))
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s%N)" -gt "$end" ]; then
			echo "timed out after ${limit}s waiting for $what" >&2
			return 1
		fi
		sleep 0.1
	done
}

# The lab's probe (TCP, HTTP, DNS) from namespace $1.
probe_from() {
	local ns=$1
	shift
	in_ns "$ns" "$PYTHON" "$DEMO_REPO/demo/probe.py" "$@"
}

# probe PC ARGS…: the probe from LAN host PC.
probe() {
	local pc=$1
	shift
	probe_from "$(pc_ns "$pc")" "$@"
}

# The resolver DHCP gave LAN host $1.
pc_dns() {
	cat "$DEMO_DIR/pcs/$1.dns"
}

# The IPv4 address DHCP gave LAN host $1.
pc_ip() {
	cat "$DEMO_DIR/pcs/$1.ip"
}

tcp_open() {
	probe_from "$1" tcp "$2" "$3" | grep -q ' connected'
}

# --- The lab ----------------------------------------------------------------

# Checks what the lab needs; prints what is missing.
missing() {
	local m=() c
	[ "$(id -u)" -eq 0 ] || m+=(root)
	for c in ip nft dnsmasq busybox openssl "$PYTHON"; do
		command -v "$c" >/dev/null 2>&1 || m+=("$c")
	done
	[ -x "$IOCGUARD" ] || m+=("$IOCGUARD")
	echo "${m[*]}"
}

# The namespaces, links, addresses and routes.
lab_up() {
	mkdir -p "$DEMO_DIR" "$R" "$C" "$DEMO_DIR/pcs"
	chmod 0700 "$DEMO_DIR"
	local ns pc i=1
	for ns in "$NS_CENTER" "$NS_ROUTER" "$NS_WAN"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	# router <-> wan, wan <-> center
	ip -n "$NS_ROUTER" link add wan0 type veth peer name eth0 netns "$NS_WAN"
	ip -n "$NS_WAN" link add center0 type veth peer name eth0 netns "$NS_CENTER"
	ip -n "$NS_ROUTER" addr add "$ROUTER_WAN4/30" dev wan0
	ip -n "$NS_ROUTER" addr add "$ROUTER_WAN6/64" dev wan0 nodad
	ip -n "$NS_WAN" addr add "$WAN_GW4/30" dev eth0
	ip -n "$NS_WAN" addr add "$WAN_GW6/64" dev eth0 nodad
	ip -n "$NS_WAN" addr add "$WAN_CENTER4/30" dev center0
	ip -n "$NS_CENTER" addr add "$CENTER4/30" dev eth0
	for a in "$UPSTREAM_DNS" "$ROGUE_DNS" "$BENIGN_WEB"; do
		ip -n "$NS_WAN" addr add "$a/32" dev lo
	done
	# Every address of the C2 ranges answers (AnyIP local routes).
	ip -n "$NS_WAN" route add local "$C2_NET4" dev lo
	ip -n "$NS_WAN" -6 route add local "$C2_NET6" dev lo
	ip -n "$NS_ROUTER" link set wan0 up
	ip -n "$NS_WAN" link set eth0 up
	ip -n "$NS_WAN" link set center0 up
	ip -n "$NS_CENTER" link set eth0 up
	ip -n "$NS_ROUTER" route add default via "$WAN_GW4"
	ip -n "$NS_ROUTER" -6 route add default via "$WAN_GW6"
	ip -n "$NS_WAN" route add "$LAN4" via "$ROUTER_WAN4"
	ip -n "$NS_WAN" -6 route add "$LAN6" via "$ROUTER_WAN6"
	ip -n "$NS_CENTER" route add default via "$WAN_CENTER4"
	in_ns "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	in_ns "$NS_WAN" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	# The LAN: a bridge on the router, one veth per host with its fixed MAC.
	ip -n "$NS_ROUTER" link add br-lan type bridge forward_delay 0
	ip -n "$NS_ROUTER" addr add "$ROUTER_LAN4/24" dev br-lan
	ip -n "$NS_ROUTER" addr add "$ROUTER_LAN6/64" dev br-lan nodad
	ip -n "$NS_ROUTER" link set br-lan up
	for pc in "${PCS[@]}"; do
		ns=$(pc_ns "$pc")
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip -n "$ns" link add eth0 address "${PC_MAC[$pc]}" type veth peer name "lan$i" netns "$NS_ROUTER"
		ip -n "$NS_ROUTER" link set "lan$i" master br-lan up
		ip -n "$ns" addr add "${PC_V6[$pc]}/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
		ip -n "$ns" -6 route add default via "$ROUTER_LAN6"
		i=$((i + 1))
	done
	# The router finds the feed server by name (ip netns exec mounts
	# /etc/netns/NS/hosts over /etc/hosts).
	mkdir -p "/etc/netns/$NS_ROUTER"
	printf '127.0.0.1 localhost\n%s %s\n' "$CENTER4" "$FEED_HOST" >"/etc/netns/$NS_ROUTER/hosts"
}

# Every process in the lab's namespaces, the namespaces, and the files
# (kept with DEMO_KEEP_FILES=1). Safe to run twice and on a half-built lab.
lab_down() {
	local f ns pid
	for f in "$DEMO_DIR"/pids/*; do
		[ -f "$f" ] || continue
		kill -9 "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
	for ns in "$NS_CENTER" "$NS_ROUTER" "$NS_WAN" "${PCS[@]/#/demo$DEMO_ID-}"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "/etc/netns/$NS_ROUTER"
	if [ "${DEMO_KEEP_FILES:-0}" != 1 ]; then
		rm -rf "$DEMO_DIR"
	fi
}

# --- 1. The IT centre -------------------------------------------------------

# The centre's signing key pair (routers get the public key).
center_keygen() {
	mkdir -p "$C/www" "$C/keys"
	in_ns "$NS_CENTER" "$IOCGUARD" feed keygen --pub "$C/keys/campaign.pub" --sec "$C/keys/campaign.key"
}

# The campaign feed, built from raw lists in several formats.
center_feed() {
	local rc=0
	in_ns "$NS_CENTER" "$IOCGUARD" feed build --name campaign --out "$C/www/campaign.txt" \
		--allow-reserved "$ALLOW4" --allow-reserved "$ALLOW6" \
		"$DEMO_REPO"/demo/data/raw/* || rc=$?
	# 1: written, some lines rejected (and listed).
	[ "$rc" -le 1 ]
}

center_sign() {
	in_ns "$NS_CENTER" "$IOCGUARD" feed sign --sec "$C/keys/campaign.key" "$C/www/campaign.txt"
}

# A throwaway CA and the feed server's certificate.
center_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=iocguard demo CA" -keyout "$C/ca.key" -out "$C/ca.pem" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$FEED_HOST" -keyout "$C/server.key" -out "$C/server.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$FEED_HOST" >"$C/server.ext"
	openssl x509 -req -in "$C/server.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
		-days 2 -extfile "$C/server.ext" -out "$C/server.pem" 2>/dev/null
}

# The HTTPS feed server.
center_serve() {
	spawn "$NS_CENTER" feed-server "$PYTHON" "$DEMO_REPO/demo/https_server.py" \
		--cert "$C/server.pem" --key "$C/server.key" --dir "$C/www" --bind "$CENTER4" --port 443
	wait_until 10 "the feed server" tcp_open "$NS_ROUTER" "$CENTER4" 443
}

center_down() {
	stop feed-server
}

# Publishes a feed the centre did not sign: an extra line (the benign web
# server) under the old signature.
center_tamper() {
	cp "$C/www/campaign.txt" "$C/campaign.txt.good"
	printf '%s\n' "$BENIGN_WEB" >>"$C/www/campaign.txt"
}

# --- 2. The Internet --------------------------------------------------------

wan_up() {
	spawn "$NS_WAN" upstream-dns dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--pid-file= --user=root --listen-address="$UPSTREAM_DNS" --bind-interfaces \
		--address=/benign.example/"$BENIGN_WEB" \
		--address=/evil-c2.example/203.0.113.7 --address=/botnet-update.example/203.0.113.70 \
		--address=/qbot-loader.example/203.0.113.8 --address=/dga-x7k2q.example/203.0.113.9
	# Malware's own resolver answers every name with its C2.
	spawn "$NS_WAN" rogue-dns dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--pid-file= --user=root --listen-address="$ROGUE_DNS" --bind-interfaces --address=/#/203.0.113.99
	spawn "$NS_WAN" web "$PYTHON" "$DEMO_REPO/demo/wan_server.py"
	wait_until 10 "the WAN servers" tcp_open "$NS_WAN" "$BENIGN_WEB" 80
	wait_until 10 "the upstream resolver" dns_answers "$NS_WAN" "$UPSTREAM_DNS" www.benign.example
	wait_until 10 "the rogue resolver" dns_answers "$NS_WAN" "$ROGUE_DNS" anything.example
}

dns_answers() {
	probe_from "$1" dns "$2" "$3" | grep -q ': answer '
}

# --- 3. The unit router -----------------------------------------------------

# /etc/config/iocguard for the lab: the feed from the centre over HTTPS
# with its public key, the LAN, dns.mode behind, the notice page.
router_config() {
	mkdir -p "$R"
	cat >"$CONF" <<EOF
config iocguard 'main'
	option unit '$UNIT'
	option campaign_start '$(date -u +%F)'
	option orgs_informed '12'
	option state_dir '$R/state'
	option run_dir '$R/run'
	option leases '$R/dhcp.leases'
	option ca_bundle '$C/ca.pem'
	option snapshot_interval '60'
	list lan '$LAN4'
	list lan '$LAN6'
	# The lab's "Internet" is documentation ranges, normally never blocked.
	list allow_reserved '$ALLOW4'
	list allow_reserved '$ALLOW6'
	option notice '1'
	option notice_port '$NOTICE_PORT'
	option contact_name 'Tổ CNTT'
	option contact_phone '024 3999 0000'

config dns 'dns'
	option mode 'behind'
	list listen '$BEHIND_LISTEN'
	list upstream '$UPSTREAM_DNS'

config feed 'campaign'
	option url '$FEED_URL'
	option pubkey '$(sed -n 2p "$C/keys/campaign.pub")'
EOF
}

# dnsmasq as OpenWrt runs it: DHCP on the LAN with a lease file, DNS on
# 53 forwarding everything to iocguard with the client's MAC (add-mac).
router_dnsmasq() {
	: >"$R/dhcp.leases"
	spawn "$NS_ROUTER" dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --no-hosts \
		--pid-file= --user=root --interface=br-lan --bind-interfaces \
		--no-resolv --server="$BEHIND_DNSMASQ" --add-mac \
		--dhcp-range="$DHCP_RANGE" --dhcp-option=option:router,"$ROUTER_LAN4" \
		--dhcp-option=option:dns-server,"$ROUTER_LAN4" --dhcp-leasefile="$R/dhcp.leases" \
		--dhcp-authoritative --log-dhcp
	wait_until 10 "the router's dnsmasq" router_dns_bound
}

router_dns_bound() {
	in_ns "$NS_ROUTER" ss -lun | grep -q "$ROUTER_LAN4:53 "
}

router_sync() {
	iocg sync "$@"
}

# iocguard run (procd starts it on OpenWrt).
daemon_start() {
	rm -f "$R/run/hosts-status.json"
	spawn "$NS_ROUTER" daemon "$IOCGUARD" --config "$CONF" run
	# The host log writes its status file once NFLOG is bound; the
	# sinkhole answers through dnsmasq.
	if ! wait_until 15 "the daemon's host log" test -e "$R/run/hosts-status.json" ||
		! wait_until 15 "the sinkhole behind dnsmasq" dns_answers "$NS_ROUTER" "$ROUTER_LAN4" www.benign.example; then
		echo "the daemon's log ($DEMO_DIR/logs/daemon.log):" >&2
		cat "$DEMO_DIR/logs/daemon.log" >&2
		return 1
	fi
}

daemon_kill9() {
	stop daemon KILL
}

daemon_stop() {
	stop daemon
}

# The kernel's copy of the rules is there.
table_present() {
	in_ns "$NS_ROUTER" nft list table inet iocguard >/dev/null 2>&1
}

# What `service firewall stop` does on OpenWrt: every table goes.
firewall_stop() {
	in_ns "$NS_ROUTER" nft flush ruleset
}

# --- 4. The LAN -------------------------------------------------------------

# LAN host $1 asks for a DHCP lease with its hostname (busybox udhcpc).
pc_dhcp() {
	local pc=$1
	in_ns "$(pc_ns "$pc")" env DEMO_PC_FILES="$DEMO_DIR/pcs/$pc" busybox udhcpc -i eth0 -x "hostname:$pc" -q -n -t 10 -T 1 \
		-s "$DEMO_REPO/demo/udhcpc-event.sh" >"$DEMO_DIR/logs/udhcpc-$pc.log" 2>&1 \
		</dev/null || { cat "$DEMO_DIR/logs/udhcpc-$pc.log" >&2; return 1; }
	# The script writes what it applied; the lease must be on file.
	[ -s "$DEMO_DIR/pcs/$pc.ip" ] || { echo "udhcpc: $pc got no address" >&2; return 1; }
	grep -q " $pc " "$R/dhcp.leases"
}

# --- 5. The admin and the IT centre -----------------------------------------

# host_field PC FIELD: FIELD of LAN host PC in `iocguard hosts --json`
# (empty when the host is not listed).
host_field() {
	iocg hosts --json | "$PYTHON" -c '
import json, sys
doc = json.load(sys.stdin)
for h in doc["hosts"]:
    if h.get("mac") == sys.argv[1]:
        v = h.get(sys.argv[2])
        print(v if v is not None else "")
' "${PC_MAC[$1]}" "$2"
}

# Every LAN host named has a record with at least one hit.
hosts_found() {
	local pc
	for pc in "$@"; do
		[ "$(host_field "$pc" hostname)" = "$pc" ] || return 1
	done
}

host_state() {
	[ "$(host_field "$1" state)" = "$2" ]
}

# LAN host $1's leased address is in the notice set (its plain HTTP goes
# to the notice page).
in_notice_set() {
	in_ns "$NS_ROUTER" nft list set inet iocguard notice4 | grep -qw "$(pc_ip "$1")"
}

# Waits until the second of host $1's ack has passed: a hit in that same
# second cannot be told apart from one before the ack.
after_ack() {
	local t
	t=$(host_field "$1" ack_at)
	[ -n "$t" ] || { echo "$1 has no ack" >&2; return 1; }
	wait_until 5 "the second after the ack" clock_after "$t"
}

clock_after() {
	[ "$(date +%s)" -gt "$1" ]
}

# The unit's signed JSON report, handed to the IT centre.
unit_report() {
	[ -f "$R/unit.key" ] || iocg feed keygen --pub "$R/unit.pub" --sec "$R/unit.key" >/dev/null
	iocg report --format json --out "$R/unit.json" --sign "$R/unit.key"
	mkdir -p "$C/reports" "$C/unit-keys"
	cp "$R/unit.json" "$R/unit.json.minisig" "$C/reports/"
	cp "$R/unit.pub" "$C/unit-keys/$UNIT.pub"
}

# Two other units' canned reports (demo/data/units/), each signed with
# that unit's own key, as `iocguard report --sign` would.
other_units() {
	local f unit gen
	mkdir -p "$C/reports" "$C/unit-keys" "$DEMO_DIR/units"
	for f in "$DEMO_REPO"/demo/data/units/*.json; do
		unit=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["unit"])' "$f")
		gen=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["generated"])' "$f")
		"$IOCGUARD" feed keygen --force --pub "$C/unit-keys/$unit.pub" --sec "$DEMO_DIR/units/$unit.key" >/dev/null
		cp "$f" "$C/reports/"
		"$IOCGUARD" feed sign --sec "$DEMO_DIR/units/$unit.key" \
			--comment "$(printf 'unit: %s\ttimestamp: %s' "$unit" "$gen")" "$C/reports/$(basename "$f")" >/dev/null
	done
	cp "$DEMO_REPO/demo/data/units/roster.txt" "$C/roster.txt"
}

# The IT centre's merge: every report's signature checked against its
# unit's key, the roster's missing units listed.
center_merge() {
	in_ns "$NS_CENTER" "$IOCGUARD" report merge "$C"/reports/*.json --keys "$C/unit-keys" \
		--roster "$C/roster.txt" "$@"
}

# --- Dispatch ---------------------------------------------------------------

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then
	export DEMO_ID DEMO_DIR IOCGUARD PYTHON
	"$@"
fi
