#!/bin/sh
# shellcheck disable=SC2154 # interface, ip, mask, router, dns: set by udhcpc
# busybox udhcpc's event script for the demo's LAN hosts: applies the
# lease (address, default route) and notes the address and resolver in
# $DEMO_PC_FILES.ip / .dns for the demo (no /etc/resolv.conf is touched:
# the namespaces share the machine's /etc).
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	echo "$ip" >"$DEMO_PC_FILES.ip"
	for d in $dns; do
		echo "$d" >"$DEMO_PC_FILES.dns"
		break
	done
	;;
esac
exit 0
