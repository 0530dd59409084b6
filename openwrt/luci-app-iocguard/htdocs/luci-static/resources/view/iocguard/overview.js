'use strict';
'require view';
'require ui';
'require uci';
'require iocguard.api as api';

// Overview: is the router protecting, is every feed current, how many
// hosts need attention. Read-only users see all of it but "Sync now".

function row(label, value) {
	return E('tr', { 'class': 'tr' }, [
		E('td', { 'class': 'td left', 'width': '33%' }, [ api.text(label) ]),
		E('td', { 'class': 'td left' }, [ value instanceof Node ? value : api.text(value) ])
	]);
}

function outcomeLabel(o) {
	switch (o) {
	case 'updated': return _('updated');
	case 'unchanged': return _('unchanged');
	case 'failed': return _('failed');
	case 'refused': return _('refused by a guard');
	case 'disabled': return _('disabled');
	default: return _('never synced');
	}
}

return view.extend({
	load: function() {
		return Promise.all([
			api.status().catch(function(e) { return { error: e }; }),
			api.hosts().catch(function(e) { return { error: e }; }),
			uci.load('iocguard').catch(function() { return null; })
		]);
	},

	handleSync: function(ev) {
		const btn = ev.currentTarget;
		btn.disabled = true;
		return api.sync().then(function(r) {
			ui.addNotification(null, E('p', { 'style': 'white-space:pre-wrap' }, [
				api.text(r.code == 0 ? _('Sync finished.') : _('Sync finished with problems; see each feed below.')),
				E('br'), api.text(r.output || '') ]), r.code == 0 ? 'info' : 'warning');
			window.setTimeout(function() { location.reload(); }, 1500);
		}).catch(function(e) {
			ui.addNotification(null, E('p', {}, [ api.text(_('Sync failed: %s').format(e.message)) ]), 'danger');
		}).finally(function() { btn.disabled = false; });
	},

	render: function(data) {
		const st = data[0], hl = data[1];
		const writable = L.hasViewPermission();
		const body = E('div', { 'class': 'cbi-map', 'id': 'iocguard-overview' }, [
			E('h2', {}, [ api.text(_('iocguard: protection overview')) ]),
			E('div', { 'class': 'cbi-map-descr' }, [ api.text(_('Blocking of the campaign\'s malicious destinations on this router, the feeds it follows, and the LAN hosts that tried to reach them.')) ])
		]);

		if (st.error) {
			body.appendChild(api.errorBox(st.error));
		} else {
			const sets = (st.sets || []).map(function(s) {
				return '%s: %s'.format(s.name, s.ranges != null ? s.ranges : '?');
			}).join(', ');
			const blocked = (st.counters || []).reduce(function(n, c) {
				return (c.name == 'blocked_fwd' || c.name == 'blocked_out') ? n + c.packets : n;
			}, 0);
			const dnsMode = uci.get('iocguard', 'dns', 'mode') || 'front';
			body.appendChild(E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, [ api.text(_('Protection')) ]),
				E('table', { 'class': 'table', 'id': 'iocguard-protection' }, [
					row(_('Blocking table'), st.present ? _('installed (table inet %s)').format(st.table) : _('not installed')),
					row(_('Sets'), sets || '-'),
					row(_('Blocked packets'), String(blocked)),
					row(_('DNS mode'), dnsMode),
					row(_('Daemon'), st.daemon_running ? _('running') : _('not running'))
				])
			]));

			const feeds = E('table', { 'class': 'table', 'id': 'iocguard-feeds' }, [
				E('tr', { 'class': 'tr table-titles' }, [
					E('th', { 'class': 'th' }, [ api.text(_('Feed')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Entries')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Last sync')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Outcome')) ]),
					E('th', { 'class': 'th' }, [ api.text(_('Error')) ])
				])
			]);
			(st.feeds || []).forEach(function(f) {
				feeds.appendChild(E('tr', { 'class': 'tr' }, [
					E('td', { 'class': 'td' }, [ api.text(f.name) ]),
					E('td', { 'class': 'td' }, [ api.text(f.entries) ]),
					E('td', { 'class': 'td' }, [ api.text(api.time(f.last_sync)) ]),
					E('td', { 'class': 'td' }, [ api.text(outcomeLabel(f.last_outcome)) ]),
					E('td', { 'class': 'td' }, [ api.text(f.last_error || '') ])
				]));
			});
			body.appendChild(E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, [ api.text(_('Feeds')) ]),
				feeds,
				writable ? E('div', { 'class': 'right' }, [
					E('button', { 'class': 'btn cbi-button cbi-button-action', 'id': 'iocguard-sync',
						'click': ui.createHandlerFn(this, 'handleSync') }, [ api.text(_('Sync now')) ])
				]) : E('span')
			]));
		}

		if (hl.error) {
			body.appendChild(api.errorBox(hl.error));
		} else {
			const c = api.counts(hl.hosts);
			body.appendChild(E('div', { 'class': 'cbi-section' }, [
				E('h3', {}, [ api.text(_('Hosts')) ]),
				E('table', { 'class': 'table', 'id': 'iocguard-counts' }, [
					row(_('Infected'), E('span', { 'data-count': 'infected' }, [ api.text(c.infected) ])),
					row(_('Re-infected'), E('span', { 'data-count': 'reinfected', 'class': c.reinfected ? 'iocguard-reinfected' : '' }, [ api.text(c.reinfected) ])),
					row(_('Acknowledged (cleaned)'), E('span', { 'data-count': 'acknowledged' }, [ api.text(c.acknowledged) ]))
				]),
				E('p', {}, [ E('a', { 'href': L.url('admin/services/iocguard/hosts') }, [ api.text(_('Show the infected hosts')) ]) ])
			]));
		}
		return body;
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
