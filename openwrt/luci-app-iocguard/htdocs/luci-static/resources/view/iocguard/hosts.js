'use strict';
'require view';
'require ui';
'require dom';
'require iocguard.api as api';

// The infected-host table: who tried to reach a listed destination, by
// MAC and hostname; detail with recent events; "Acknowledge (cleaned)".
// Hostnames come from DHCP, i.e. from the hosts themselves: text nodes
// only (api.text), modal titles included (ui.showModal parses a string
// title as HTML).

const COLUMNS = [
	[ 'hostname', _('Hostname') ],
	[ 'mac', _('MAC') ],
	[ 'addresses', _('Addresses') ],
	[ 'first_seen', _('First seen') ],
	[ 'last_seen', _('Last seen') ],
	[ 'ip_hits', _('IP hits') ],
	[ 'dns_hits', _('DNS hits') ],
	[ 'top', _('Top indicator') ],
	[ 'state', _('State') ]
];

function addresses(h) {
	return (h.addrs || []).map(function(a) { return a.addr; }).join(', ');
}

function sortValue(h, col) {
	switch (col) {
	case 'addresses': return addresses(h);
	case 'top': return api.topIndicator(h);
	case 'state': return api.stateOf(h);
	case 'first_seen': case 'last_seen': case 'ip_hits': case 'dns_hits': return h[col] || 0;
	default: return (h[col] || '').toLowerCase();
	}
}

return view.extend({
	sortCol: 'last_seen',
	sortDesc: true,
	filter: '',

	load: function() {
		return api.hosts().catch(function(e) { return { error: e }; });
	},

	handleDetail: function(h) {
		return api.host(h.key).then(function(d) {
			const evs = E('table', { 'class': 'table', 'id': 'iocguard-events' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, [ api.text(_('Time')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Kind')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Destination')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Indicator')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Feeds')) ])
				])
			]);
			(d.recent || []).slice().reverse().forEach(function(e) {
				evs.appendChild(E('tr', { 'class': 'tr' }, [
					E('td', { 'class': 'td' }, [ api.text(api.time(e.time)) ]),
					E('td', { 'class': 'td' }, [ api.text(e.kind || '') ]),
					E('td', { 'class': 'td' }, [ api.text(e.kind == 'dns' ? e.name : (e.dport ? '%s:%d'.format(e.dst, e.dport) : e.dst)) ]),
					E('td', { 'class': 'td' }, [ api.text(e.listed) ]),
					E('td', { 'class': 'td' }, [ api.text((e.feeds || []).join(', ')) ])
				]));
			});
			const host = d.host || {};
			const st = api.stateOf(host);
			ui.showModal(api.text(_('Host %s').format(host.hostname || d.key)), [
				E('table', { 'class': 'table' }, [
					E('tr', { 'class': 'tr' }, [ E('td', { 'class': 'td' }, [ api.text(_('MAC')) ]), E('td', { 'class': 'td' }, [ api.text(host.mac || '-') ]) ]),
					E('tr', { 'class': 'tr' }, [ E('td', { 'class': 'td' }, [ api.text(_('Addresses')) ]), E('td', { 'class': 'td' }, [ api.text(addresses(host)) ]) ]),
					E('tr', { 'class': 'tr' }, [ E('td', { 'class': 'td' }, [ api.text(_('State')) ]), E('td', { 'class': 'td' }, [ api.text(api.stateLabel(st) + (host.note ? ' — ' + host.note : '')) ]) ])
				]),
				E('h4', {}, [ api.text(_('Recent events')) ]),
				evs,
				E('div', { 'class': 'right' }, [ E('button', { 'class': 'btn', 'click': ui.hideModal }, [ api.text(_('Close')) ]) ])
			]);
		}).catch(function(e) {
			ui.addNotification(null, E('p', {}, [ api.text(e.message) ]), 'danger');
		});
	},

	handleAck: function(h) {
		const note = E('input', { 'type': 'text', 'class': 'cbi-input-text', 'id': 'iocguard-ack-note', 'maxlength': 1000,
			'placeholder': _('What was done, by whom') });
		ui.showModal(api.text(_('Acknowledge %s as cleaned').format(h.hostname || h.key)), [
			E('p', {}, [ api.text(_('Mark this host as cleaned. If it tries to reach a listed destination again it shows as re-infected.')) ]),
			E('p', {}, [ note ]),
			E('div', { 'class': 'right' }, [
				E('button', { 'class': 'btn', 'click': ui.hideModal }, [ api.text(_('Cancel')) ]), ' ',
				E('button', { 'class': 'btn cbi-button-positive', 'id': 'iocguard-ack-confirm', 'click': ui.createHandlerFn(this, function() {
					return api.ack(h.key, note.value).then(L.bind(function(r) {
						ui.hideModal();
						ui.addNotification(null, E('p', {}, [ api.text(r.result || _('Acknowledged.')) ]), 'info');
						return this.refresh();
					}, this)).catch(function(e) {
						ui.hideModal();
						ui.addNotification(null, E('p', { 'id': 'iocguard-ack-error' }, [ api.text(_('The acknowledgement was refused: %s').format(e.message)) ]), 'danger');
					});
				}) }, [ api.text(_('Acknowledge')) ])
			])
		]);
	},

	refresh: function() {
		return api.hosts().then(L.bind(function(r) {
			this.data = r;
			this.renderTable();
		}, this)).catch(function(e) {
			ui.addNotification(null, E('p', {}, [ api.text(e.message) ]), 'danger');
		});
	},

	renderTable: function() {
		const writable = L.hasViewPermission();
		const hosts = ((this.data && this.data.hosts) || []).filter(L.bind(function(h) {
			return !this.filter || api.stateOf(h) == this.filter;
		}, this));
		const col = this.sortCol, desc = this.sortDesc;
		hosts.sort(function(a, b) {
			const x = sortValue(a, col), y = sortValue(b, col);
			return (x < y ? -1 : x > y ? 1 : 0) * (desc ? -1 : 1);
		});

		const titles = E('tr', { 'class': 'tr table-titles' }, COLUMNS.map(L.bind(function(c) {
			const mark = c[0] == col ? (desc ? ' ▼' : ' ▲') : '';
			return E('th', { 'class': 'th', 'style': 'cursor:pointer', 'data-sort': c[0], 'click': L.bind(function() {
				this.sortDesc = (this.sortCol == c[0]) ? !this.sortDesc : false;
				this.sortCol = c[0];
				this.renderTable();
			}, this) }, [ api.text(c[1] + mark) ]);
		}, this)).concat([ E('th', { 'class': 'th' }, [ api.text(' ') ]) ]));

		const table = E('table', { 'class': 'table', 'id': 'iocguard-hosts' }, [ titles ]);
		hosts.forEach(L.bind(function(h) {
			const st = api.stateOf(h);
			const actions = [];
			if (writable) {
				actions.push(E('button', { 'class': 'btn cbi-button', 'data-action': 'detail',
					'click': ui.createHandlerFn(this, 'handleDetail', h) }, [ api.text(_('Details')) ]));
				if (st != 'acknowledged')
					actions.push(' ', E('button', { 'class': 'btn cbi-button-positive', 'data-action': 'ack',
						'click': ui.createHandlerFn(this, 'handleAck', h) }, [ api.text(_('Acknowledge (cleaned)')) ]));
			}
			table.appendChild(E('tr', {
				'class': 'tr' + (st == 'reinfected' ? ' iocguard-reinfected' : ''),
				'data-key': h.key, 'data-state': st,
				'style': st == 'reinfected' ? 'background:#fdd;font-weight:bold' : ''
			}, [
				E('td', { 'class': 'td', 'data-col': 'hostname' }, [ api.text(h.hostname || '-') ]),
				E('td', { 'class': 'td', 'data-col': 'mac' }, [ api.text(h.mac || '-') ]),
				E('td', { 'class': 'td', 'data-col': 'addresses' }, [ api.text(addresses(h)) ]),
				E('td', { 'class': 'td' }, [ api.text(api.time(h.first_seen)) ]),
				E('td', { 'class': 'td' }, [ api.text(api.time(h.last_seen)) ]),
				E('td', { 'class': 'td' }, [ api.text(h.ip_hits) ]),
				E('td', { 'class': 'td' }, [ api.text(h.dns_hits) ]),
				E('td', { 'class': 'td' }, [ api.text(api.topIndicator(h)) ]),
				E('td', { 'class': 'td', 'data-col': 'state' }, [ api.text(api.stateLabel(st)) ]),
				E('td', { 'class': 'td' }, actions)
			]));
		}, this));
		if (!hosts.length)
			table.appendChild(E('tr', { 'class': 'tr placeholder' }, [ E('td', { 'class': 'td' }, [ api.text(_('No host has tried to reach a listed destination.')) ]) ]));
		dom.content(this.box, table);
	},

	render: function(data) {
		this.data = data;
		const filter = E('select', { 'class': 'cbi-input-select', 'id': 'iocguard-filter', 'change': L.bind(function(ev) {
			this.filter = ev.target.value;
			this.renderTable();
		}, this) }, [
			E('option', { 'value': '' }, [ api.text(_('all states')) ]),
			E('option', { 'value': 'infected' }, [ api.text(_('infected')) ]),
			E('option', { 'value': 'reinfected' }, [ api.text(_('re-infected')) ]),
			E('option', { 'value': 'acknowledged' }, [ api.text(_('acknowledged')) ])
		]);
		const box = this.box = E('div', { 'id': 'iocguard-hosts-box' });
		const page = E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, [ api.text(_('Infected hosts')) ]),
			E('div', { 'class': 'cbi-map-descr' }, [ api.text(_('LAN hosts that tried to reach a listed destination. Clean each one, then acknowledge it; a host that tries again shows as re-infected.')) ]),
			data.error ? api.errorBox(data.error) : E('div', { 'class': 'cbi-section' }, [
				E('p', {}, [ api.text(_('State') + ': '), filter ]),
				box
			])
		]);
		if (!data.error)
			this.renderTable();
		return page;
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
