'use strict';
'require view';
'require ui';
'require uci';
'require iocguard.api as api';

// The campaign report: pick the period and language, preview it, and
// download it as HTML, CSV or JSON (plus its .minisig when the router
// signs reports). The figures are iocguard's own (`iocguard report`):
// this page only asks for them.

const TYPES = { html: 'text/html', csv: 'text/csv', json: 'application/json', text: 'text/plain' };

function save(name, content, type) {
	const a = E('a', { 'href': URL.createObjectURL(new Blob([ content ], { 'type': type })), 'download': name, 'style': 'display:none' });
	document.body.appendChild(a);
	a.click();
	window.setTimeout(function() { URL.revokeObjectURL(a.href); a.remove(); }, 10000);
}

return view.extend({
	load: function() {
		return uci.load('iocguard').catch(function() { return null; });
	},

	options: function() {
		return {
			lang: document.getElementById('iocguard-report-lang').value,
			since: document.getElementById('iocguard-report-since').value,
			until: document.getElementById('iocguard-report-until').value
		};
	},

	handlePreview: function() {
		const o = this.options();
		const out = document.getElementById('iocguard-report-preview');
		return api.report('html', o.lang, o.since, o.until).then(function(r) {
			// The report is iocguard's self-contained HTML; the sandbox
			// (no scripts, no same origin) keeps it from touching LuCI.
			const frame = E('iframe', { 'sandbox': '', 'style': 'width:100%;height:700px;border:1px solid #ccc;background:#fff', 'id': 'iocguard-report-frame' });
			frame.srcdoc = r.content;
			out.replaceChildren(frame);
		}).catch(function(e) {
			out.replaceChildren(api.errorBox(e));
		});
	},

	handleDownload: function(format) {
		const o = this.options();
		const unit = (uci.get('iocguard', 'main', 'unit') || 'iocguard').replace(/[^A-Za-z0-9_-]+/g, '_');
		const name = 'iocguard-report-%s.%s'.format(unit, format);
		return api.report(format, o.lang, o.since, o.until).then(function(r) {
			save(name, r.content, TYPES[format]);
			if (r.signature)
				save(name + '.minisig', r.signature, 'text/plain');
		}).catch(function(e) {
			ui.addNotification(null, E('p', {}, [ api.text(_('The report could not be built: %s').format(e.message)) ]), 'danger');
		});
	},

	render: function() {
		// The router's LuCI language (the theme puts it on <html lang>).
		const lang = (document.documentElement.lang || '').substr(0, 2) == 'vi' ? 'vi' : 'en';
		const start = uci.get('iocguard', 'main', 'campaign_start') || '';
		const field = function(label, input) {
			return E('div', { 'class': 'cbi-value' }, [
				E('label', { 'class': 'cbi-value-title' }, [ api.text(label) ]),
				E('div', { 'class': 'cbi-value-field' }, [ input ])
			]);
		};
		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, [ api.text(_('Campaign report')) ]),
			E('div', { 'class': 'cbi-map-descr' }, [ api.text(_('The report for the IT centre, from this router\'s host log and blocking counters. Without dates it covers the campaign from its start date.')) ]),
			E('div', { 'class': 'cbi-section' }, [
				field(_('From'), E('input', { 'type': 'date', 'id': 'iocguard-report-since', 'value': start })),
				field(_('To'), E('input', { 'type': 'date', 'id': 'iocguard-report-until' })),
				field(_('Language'), E('select', { 'id': 'iocguard-report-lang', 'class': 'cbi-input-select' }, [
					E('option', { 'value': 'vi', 'selected': lang == 'vi' ? '' : null }, [ api.text('Tiếng Việt') ]),
					E('option', { 'value': 'en', 'selected': lang == 'en' ? '' : null }, [ api.text('English') ])
				])),
				E('div', { 'class': 'cbi-page-actions' }, [
					E('button', { 'class': 'btn cbi-button-action', 'id': 'iocguard-preview', 'click': ui.createHandlerFn(this, 'handlePreview') }, [ api.text(_('Preview')) ]), ' ',
					E('button', { 'class': 'btn cbi-button', 'id': 'iocguard-download-html', 'click': ui.createHandlerFn(this, 'handleDownload', 'html') }, [ api.text(_('Download HTML')) ]), ' ',
					E('button', { 'class': 'btn cbi-button', 'id': 'iocguard-download-csv', 'click': ui.createHandlerFn(this, 'handleDownload', 'csv') }, [ api.text(_('Download CSV')) ]), ' ',
					E('button', { 'class': 'btn cbi-button', 'id': 'iocguard-download-json', 'click': ui.createHandlerFn(this, 'handleDownload', 'json') }, [ api.text(_('Download JSON')) ])
				])
			]),
			E('div', { 'id': 'iocguard-report-preview' })
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
