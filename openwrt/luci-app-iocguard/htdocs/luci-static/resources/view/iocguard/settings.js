'use strict';
'require view';
'require form';
'require ui';
'require uci';
'require iocguard.api as api';

// A form over /etc/config/iocguard. The checks below mirror the CLI's
// (src/config/specs.rs and check.rs) to flag a field as it is typed;
// before anything is saved the whole configuration goes to the CLI's own
// loader (luci.iocguard check_config), so what LuCI saves is what
// iocguard accepts. Save & Apply is LuCI's own: uci commit, and procd
// reloads the service (SIGHUP).

const FORMATS = [ 'auto', 'plain', 'hosts', 'ipset', 'mikrotik', 'dshield', 'spamhaus-json', 'adblock',
	'dnsmasq', 'unbound', 'rpz', 'csv', 'bind', 'stix' ];

function uint(lo, hi) {
	return function(section_id, v) {
		if (v == null || v === '')
			return true;
		return (/^[0-9]+$/.test(v) && +v >= lo && +v <= hi) ? true : _('A number from %d to %d').format(lo, hi);
	};
}

function date(section_id, v) {
	return (v == null || v === '' || /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(v)) ? true : _('A date as YYYY-MM-DD');
}

function feedUrl(section_id, v) {
	if (v == null || v === '')
		return _('A feed needs a URL or a path');
	return /^(https?:\/\/[^\s]+|file:\/\/\/[^\s]*|\/[^\s]*|\.[^\s]*)$/.test(v) ? true :
		_('An https://, http:// or file:// URL, or an absolute path');
}

// A minisign public key: base64 of "Ed", an 8-byte key id and 32 bytes.
function pubkey(section_id, v) {
	return (v == null || v === '' || /^RW[A-Za-z0-9+\/]{54}$/.test(v)) ? true :
		_('A minisign public key (the 56-character line starting with RW)');
}

function answer(section_id, v) {
	if (v == null || v === '' || v == 'nxdomain' || v == 'zero')
		return true;
	const v4 = /^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$/.test(v);
	const v6 = /^[0-9A-Fa-f:.]+$/.test(v) && v.indexOf(':') >= 0;
	return (v4 || v6) ? true : _('nxdomain, zero or an IP address');
}

return view.extend({
	render: function() {
		const m = new form.Map('iocguard', _('iocguard settings'),
			_('The unit, the feeds it follows and how DNS is blocked. Save & Apply reloads iocguard; the host log is kept.'));

		let s = m.section(form.NamedSection, 'main', 'iocguard', _('Unit'));
		let o = s.option(form.Flag, 'enabled', _('Enabled'), _('Off removes iocguard\'s rules from the kernel.'));
		o.default = '1';
		o.rmempty = false;
		s.option(form.Value, 'unit', _('Unit name'), _('Printed in reports.'));
		o = s.option(form.Value, 'campaign_start', _('Campaign start'), _('Reports start here unless told otherwise.'));
		o.placeholder = '2022-08-23';
		o.validate = date;
		o = s.option(form.DynamicList, 'lan', _('LAN networks'), _('Hits from these networks are attributed to hosts; default: the lan interface.'));
		o.datatype = 'cidr';
		o = s.option(form.ListValue, 'action', _('Blocked packets'));
		o.value('reject', _('reject'));
		o.value('drop', _('drop'));
		o.default = 'reject';
		o = s.option(form.Value, 'max_shrink', _('Largest shrink (%)'), _('A feed that loses more of its entries in one sync is refused.'));
		o.placeholder = '50';
		o.validate = uint(0, 100);
		// The notice page (iocguard run serves it; options of the main
		// section, as in src/config/specs.rs).
		s = m.section(form.NamedSection, 'main', 'iocguard', _('Notice page'),
			_('The browser of an infected host is sent to a page that tells its user what happened and whom to call, until the user confirms having read it.'));
		o = s.option(form.Flag, 'notice', _('Show the notice page'));
		o.default = '1';
		o.rmempty = false;
		o = s.option(form.Value, 'notice_port', _('Port'), _('Port of the notice page on the router\'s LAN addresses.'));
		o.placeholder = '8800';
		o.validate = uint(1, 65535);
		o = s.option(form.Value, 'notice_snooze', _('Quiet after reading (hours)'));
		o.placeholder = '24';
		o.validate = uint(1, 8760);
		o = s.option(form.Value, 'notice_url', _('Removal tool URL'), _('Where the notice sends the user for the malware-removal tool.'));
		o.placeholder = 'https://khonggianmang.vn/';
		s.option(form.Value, 'contact_name', _('IT contact'));
		s.option(form.Value, 'contact_phone', _('Contact phone'));
		s.option(form.Value, 'contact_email', _('Contact email'));

		s = m.section(form.NamedSection, 'dns', 'dns', _('DNS'));
		o = s.option(form.ListValue, 'mode', _('Mode'));
		o.value('front', _('front: iocguard answers on port 53, dnsmasq behind it'));
		o.value('behind', _('behind: dnsmasq on port 53 forwards to iocguard'));
		o.value('dnsmasq-file', _('dnsmasq-file: dnsmasq blocks from an exported list'));
		o.value('off', _('off: IP blocking only'));
		o.default = 'front';
		o = s.option(form.Value, 'answer', _('Answer for blocked names'), _('nxdomain, zero (0.0.0.0 / ::) or the IP of a notice page.'));
		o.placeholder = 'nxdomain';
		o.validate = answer;
		o = s.option(form.Value, 'ttl', _('TTL of blocked answers (s)'));
		o.placeholder = '5';
		o.validate = uint(0, 86400);

		s = m.section(form.GridSection, 'feed', _('Feeds'), _('Indicator lists from the IT centre; each is checked against its minisign public key.'));
		s.addremove = true;
		s.anonymous = false;
		s.nodescriptions = true;
		o = s.option(form.Flag, 'enabled', _('Enabled'));
		o.default = '1';
		o.editable = true;
		o = s.option(form.Value, 'url', _('URL'));
		o.validate = feedUrl;
		o.rmempty = false;
		o = s.option(form.Value, 'pubkey', _('Public key'));
		o.validate = pubkey;
		o.modalonly = true;
		o = s.option(form.ListValue, 'format', _('Format'));
		FORMATS.forEach(function(f) { o.value(f); });
		o.default = 'auto';
		o = s.option(form.ListValue, 'kind', _('Kinds'));
		o.value('auto', _('auto'));
		o.value('ip', _('IP only'));
		o.value('domain', _('domains only'));
		o.default = 'auto';
		o.modalonly = true;

		this.map = m;
		return m.render();
	},

	// The form's sections as they would be saved, checked by the CLI;
	// a refusal stops the save with the CLI's sentence.
	check: function() {
		const config = {};
		uci.sections('iocguard').forEach(function(s) {
			const o = { '.type': s['.type'] };
			Object.keys(s).forEach(function(k) {
				if (k.charAt(0) != '.')
					o[k] = s[k];
			});
			config[s['.name']] = o;
		});
		return api.checkConfig(config).catch(function(e) {
			throw new Error(_('iocguard refuses this configuration: %s').format(e.message));
		});
	},

	handleSave: function(ev) {
		return this.map.save(L.bind(this.check, this)).then(function() { return true; }, function() { return false; });
	},

	handleSaveApply: function(ev, mode) {
		return this.handleSave(ev).then(function(saved) {
			if (saved)
				ui.changes.apply(mode == '0');
		});
	}
});
