#!/usr/bin/env python3
"""i18n-scan.py [DIR] -- the strings this app translates, as a .pot on
stdout: every _('…') in htdocs/ and every menu title (LuCI translates
those too). Re-run after changing a view, then merge into po/vi with
`msgmerge -U po/vi/iocguard.po po/templates/iocguard.pot`."""
import glob
import json
import os
import re
import sys

here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
found = []
for path in sorted(glob.glob(os.path.join(here, 'htdocs/**/*.js'), recursive=True)):
    with open(path, encoding='utf-8') as f:
        for m in re.finditer(r"_\('((?:[^'\\]|\\.)*)'\)", f.read()):
            s = m.group(1).replace("\\'", "'")
            if s not in found:
                found.append(s)
for path in sorted(glob.glob(os.path.join(here, 'root/usr/share/luci/menu.d/*.json'))):
    with open(path, encoding='utf-8') as f:
        for node in json.load(f).values():
            if node.get('title') and node['title'] not in found:
                found.append(node['title'])


def q(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


print('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n')
for s in found:
    print('msgid %s\nmsgstr ""\n' % q(s))
