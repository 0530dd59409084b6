'use strict';
'require baseclass';
'require rpc';

// The ubus calls of luci.iocguard (rpcd plugin) and the small helpers the
// views share. Anything that came from the router (hostnames from DHCP,
// notes, indicators, error text) is put into the page as a text node,
// never as markup: LuCI's E() parses a lone string child as HTML.

const callStatus = rpc.declare({ object: 'luci.iocguard', method: 'status' });
const callHosts = rpc.declare({ object: 'luci.iocguard', method: 'hosts' });
const callHost = rpc.declare({ object: 'luci.iocguard', method: 'host', params: [ 'host' ], reject: true });
const callAck = rpc.declare({ object: 'luci.iocguard', method: 'ack', params: [ 'host', 'note' ], reject: true });
const callSync = rpc.declare({ object: 'luci.iocguard', method: 'sync', reject: true });
const callSyncStatus = rpc.declare({ object: 'luci.iocguard', method: 'sync_status', reject: true });
const callCheckConfig = rpc.declare({ object: 'luci.iocguard', method: 'check_config', params: [ 'config' ], reject: true });
const callReport = rpc.declare({ object: 'luci.iocguard', method: 'report',
	params: [ 'format', 'lang', 'since', 'until' ], reject: true });

// Rejects with the plugin's one-sentence error.
function checked(p) {
	return p.then(function(r) {
		if (r && r.error)
			throw new Error(r.error);
		return r;
	});
}

return baseclass.extend({
	status: function() { return checked(callStatus()); },
	hosts: function() { return checked(callHosts()); },
	host: function(h) { return checked(callHost(h)); },
	ack: function(h, note) { return checked(callAck(h, note)); },
	/** Starts a sync and resolves with its outcome once it is done. */
	sync: function() {
		return checked(callSync()).then(function() {
			return new Promise(function(resolve, reject) {
				const poll = function() {
					checked(callSyncStatus()).then(function(st) {
						if (st.running)
							window.setTimeout(poll, 1000);
						else
							resolve(st);
					}).catch(reject);
				};
				poll();
			});
		});
	},
	checkConfig: function(c) { return checked(callCheckConfig(c)); },
	report: function(f, l, s, u) { return checked(callReport(f, l, s || '', u || '')); },

	/** A text node: untrusted strings never become markup. */
	text: function(s) {
		return document.createTextNode(s == null ? '' : String(s));
	},

	/** The host's state name as iocguard writes it. */
	stateOf: function(h) {
		return h.state || 'infected';
	},

	stateLabel: function(state) {
		switch (state) {
		case 'acknowledged': return _('acknowledged');
		case 'reinfected': return _('re-infected');
		default: return _('infected');
		}
	},

	/** Unix seconds as local date and time; '-' for none. */
	time: function(t) {
		if (!t)
			return '-';
		const d = new Date(t * 1000);
		const p = function(n) { return (n < 10 ? '0' : '') + n; };
		return '%d-%s-%s %s:%s:%s'.format(d.getFullYear(), p(d.getMonth() + 1), p(d.getDate()),
			p(d.getHours()), p(d.getMinutes()), p(d.getSeconds()));
	},

	/** The most-hit indicator of a host, "indicator (hits)". */
	topIndicator: function(h) {
		let top = null;
		(h.indicators || []).forEach(function(i) {
			if (!top || (i.hits || 0) > (top.hits || 0))
				top = i;
		});
		return top ? '%s (%d)'.format(top.listed, top.hits || 0) : '-';
	},

	/** Infected, re-infected and acknowledged counts of a host list. */
	counts: function(hosts) {
		const c = { infected: 0, reinfected: 0, acknowledged: 0 };
		(hosts || []).forEach(L.bind(function(h) {
			const s = this.stateOf(h);
			c[s] = (c[s] || 0) + 1;
		}, this));
		return c;
	},

	/** An error box with one sentence. */
	errorBox: function(e) {
		return E('div', { 'class': 'alert-message warning' }, [ this.text(e && e.message ? e.message : e) ]);
	}
});
