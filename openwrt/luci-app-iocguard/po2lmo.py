#!/usr/bin/env python3
"""po2lmo.py IN.po OUT.lmo -- compile a gettext catalogue into LuCI's .lmo.

The OpenWrt SDK builds po2lmo from luci-base; a package built without the
SDK needs the same file, so this is an independent implementation of the
format LuCI reads (luci-base lmo.c):

  values, each NUL-padded to 4 bytes
  index: one 16-byte entry per message, sorted by key id:
         key_id, val_id, offset, length (big-endian u32)
  the offset of the index (big-endian u32)

key_id is Paul Hsieh's SuperFastHash of the msgid (with "ctx\\1" before it
for a msgctxt, "\\2N" after it for plural form N), seeded with its length.
Messages whose translation equals the msgid (same hash) are left out, as
are untranslated ones. String escapes are kept as in the .po except \\"
and \\\\, as LuCI's own tool does, so that the hashes agree with it.
"""
import struct
import sys


def sfh(data: bytes) -> int:
    m = 0xFFFFFFFF
    h = len(data)
    if not data:
        return 0
    rem = len(data) & 3
    i = 0
    for _ in range(len(data) >> 2):
        h = (h + (data[i] | data[i + 1] << 8)) & m
        tmp = (((data[i + 2] | data[i + 3] << 8) << 11) ^ h) & m
        h = ((h << 16) ^ tmp) & m
        i += 4
        h = (h + (h >> 11)) & m

    def sc(b):  # a C `signed char`
        return b - 256 if b > 127 else b

    if rem == 3:
        h = (h + (data[i] | data[i + 1] << 8)) & m
        h ^= (h << 16) & m
        h ^= (sc(data[i + 2]) << 18) & m
        h = (h + (h >> 11)) & m
    elif rem == 2:
        h = (h + (data[i] | data[i + 1] << 8)) & m
        h ^= (h << 11) & m
        h = (h + (h >> 17)) & m
    elif rem == 1:
        h = (h + sc(data[i])) & m
        h ^= (h << 10) & m
        h = (h + (h >> 1)) & m
    h ^= (h << 3) & m
    h = (h + (h >> 5)) & m
    h ^= (h << 4) & m
    h = (h + (h >> 17)) & m
    h ^= (h << 25) & m
    h = (h + (h >> 6)) & m
    return h


def unquote(line: str) -> bytes:
    """The text between the first and the last quote, \\" and \\\\ undone."""
    s = line[line.index('"') + 1:line.rindex('"')]
    out, i = [], 0
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s) and s[i + 1] in '"\\':
            out.append(s[i + 1])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return ''.join(out).encode()


def messages(text: str):
    """Each entry of the catalogue as {ctxt, id, plural, val: {n: str}}."""
    cur, field = None, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        key = line.split(' ', 1)[0]
        # An entry starts at its msgctxt, or at a msgid with none before it.
        if key == 'msgctxt' or (key == 'msgid' and field != 'ctxt'):
            if cur and cur['id'] is not None:
                yield cur
            cur = {'ctxt': None, 'id': None, 'plural': None, 'val': {}}
        if cur is None:
            continue
        if key == 'msgctxt':
            cur['ctxt'], field = unquote(line), 'ctxt'
        elif key == 'msgid':
            cur['id'], field = unquote(line), 'id'
        elif key == 'msgid_plural':
            cur['plural'], field = unquote(line), 'plural'
        elif key.startswith('msgstr'):
            n = int(key[7:-1]) if key.startswith('msgstr[') else 0
            cur['val'][n], field = unquote(line), n
        elif line.startswith('"') and field is not None:
            if field in ('ctxt', 'id', 'plural'):
                cur[field] += unquote(line)
            else:
                cur['val'][field] += unquote(line)
    if cur and cur['id'] is not None:
        yield cur


def compile_po(text: str) -> bytes:
    body, index = bytearray(), []

    def put(key_id, val_id, value):
        index.append((key_id, val_id, len(body), len(value)))
        body.extend(value + b'\0' * ((4 - len(value) % 4) % 4))

    for m in messages(text):
        vals = m['val']
        if m['id'] == b'':
            # The header: only its Plural-Forms line is kept (key 0).
            for f in vals.get(0, b'').split(b'\\n'):
                if f.lower().startswith(b'plural-forms: '):
                    put(0, 0, f[14:])
            continue
        nplural = max(vals) if vals else 0
        for n, v in sorted(vals.items()):
            if not v:
                continue
            key = m['id']
            if m['ctxt'] is not None:
                key = m['ctxt'] + b'\1' + key
            if m['plural'] is not None:
                key += b'\2%d' % n
            k = sfh(key)
            if k != sfh(v):
                put(k, nplural + 1, v)
    out = bytearray(body)
    for e in sorted(index, key=lambda e: e[0]):
        out += struct.pack('>IIII', *e)
    out += struct.pack('>I', len(body))
    return bytes(out)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: po2lmo.py IN.po OUT.lmo')
    with open(sys.argv[1], encoding='utf-8') as f:
        data = compile_po(f.read())
    with open(sys.argv[2], 'wb') as f:
        f.write(data)
