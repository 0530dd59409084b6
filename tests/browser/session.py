#!/usr/bin/env python3
"""session.py -- headless Chromium for tests, driven line by line.

cdp.py beside it runs a list of steps in one go; this one keeps the
browser (and its logins) open between commands, so that a test can act
on the page, look at the system, and go on.

Starts Debian's `chromium` headless (its own profile, DevTools on a port
the browser picks, so parallel runs never collide), then reads one JSON
command per line on stdin and answers one JSON line on stdout:

  {"op":"nav","url":U}            open U (returns at once; poll with eval)
  {"op":"eval","expr":JS}         value of JS (promises awaited)
  {"op":"type","text":T}          type T into the focused element
  {"op":"shot","path":P}          full-page PNG to P
  {"op":"downloads","dir":D}      save downloads into D
  {"op":"clear_cookies"}          log out every session
  {"op":"console"}                console errors and exceptions so far
  {"op":"quit"}

Answers: {"ok":true,"value":…} or {"ok":false,"error":"…"}.

The WebSocket client is the minimum DevTools needs (RFC 6455 text frames,
client masking, fragmentation, ping), so the driver needs only Python's
standard library and runs wherever python3 and chromium do.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


class WebSocket:
    def __init__(self, url):
        assert url.startswith('ws://')
        hostport, _, path = url[5:].partition('/')
        host, _, port = hostport.partition(':')
        self.sock = socket.create_connection((host, int(port)), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ('GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (path, hostport, key))
        self.sock.sendall(req.encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError('DevTools closed the connection during the handshake')
            head += chunk
        if b' 101 ' not in head.split(b'\r\n', 1)[0]:
            raise RuntimeError('DevTools refused the WebSocket: %r' % head[:200])

    def _exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError('DevTools closed the connection')
            buf += chunk
        return bytes(buf)

    def _frame(self, opcode, payload):
        head = bytearray([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head.append(0x80 | n)
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack('>H', n)
        else:
            head += bytes([0x80 | 127]) + struct.pack('>Q', n)
        mask = os.urandom(4)
        head += mask
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(head) + body)

    def send(self, text):
        self._frame(1, text.encode())

    def recv(self):
        message = bytearray()
        while True:
            b0, b1 = self._exact(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack('>H', self._exact(2))[0]
            elif n == 127:
                n = struct.unpack('>Q', self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            payload = self._exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 9:
                self._frame(10, payload)
                continue
            if opcode == 8:
                raise RuntimeError('DevTools closed the WebSocket')
            if opcode in (0, 1, 2):
                message += payload
                if b0 & 0x80:
                    return message.decode()


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix='iocguard-session-')
        env = dict(os.environ, HOME=self.profile, XDG_CONFIG_HOME=self.profile,
                   XDG_CACHE_HOME=self.profile, TMPDIR=self.profile)
        self.proc = subprocess.Popen(
            [os.environ.get('CHROMIUM', 'chromium'), '--headless', '--no-sandbox', '--disable-gpu',
             '--no-first-run', '--disable-extensions', '--disable-background-networking',
             '--user-data-dir=' + self.profile, '--remote-debugging-port=0',
             '--window-size=1280,900', 'about:blank'],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.profile, 'chromium.log'), 'w'))
        port_file = os.path.join(self.profile, 'DevToolsActivePort')
        deadline = time.time() + 60
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError('chromium did not open its DevTools port')
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        while True:
            try:
                tabs = json.load(urllib.request.urlopen('http://127.0.0.1:%d/json' % port, timeout=2))
                tab = next(t for t in tabs if t.get('type') == 'page')
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.ws = WebSocket(tab['webSocketDebuggerUrl'])
        self.seq = 0
        self.console = []
        for m in ('Page.enable', 'Runtime.enable', 'Log.enable'):
            self.cdp(m)

    def note(self, ev):
        m, p = ev.get('method'), ev.get('params', {})
        if m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
            self.console.append('console.%s: %s' % (p['type'], ' '.join(
                str(a.get('value', a.get('description', ''))) for a in p.get('args', []))))
        elif m == 'Runtime.exceptionThrown':
            d = p['exceptionDetails']
            self.console.append('exception: %s %s' % (d.get('text'), d.get('exception', {}).get('description', '')))
        elif m == 'Log.entryAdded' and p['entry'].get('level') == 'error':
            self.console.append('log: %s %s' % (p['entry'].get('text'), p['entry'].get('url', '')))

    def cdp(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({'id': self.seq, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.seq:
                if 'error' in msg:
                    raise RuntimeError('%s: %s' % (method, msg['error'].get('message')))
                return msg.get('result', {})
            self.note(msg)

    def do(self, c):
        op = c['op']
        if op == 'nav':
            self.cdp('Page.navigate', url=c['url'])
        elif op == 'eval':
            r = self.cdp('Runtime.evaluate', expression=c['expr'], returnByValue=True, awaitPromise=True)
            if 'exceptionDetails' in r:
                d = r['exceptionDetails']
                raise RuntimeError('JS: %s %s' % (d.get('text'), d.get('exception', {}).get('description', '')))
            return r.get('result', {}).get('value')
        elif op == 'type':
            self.cdp('Input.insertText', text=c['text'])
        elif op == 'shot':
            data = self.cdp('Page.captureScreenshot', format='png', captureBeyondViewport=True)['data']
            with open(c['path'], 'wb') as f:
                f.write(base64.b64decode(data))
        elif op == 'downloads':
            self.cdp('Browser.setDownloadBehavior', behavior='allow', downloadPath=c['dir'])
        elif op == 'clear_cookies':
            self.cdp('Network.clearBrowserCookies')
        elif op == 'console':
            return list(self.console)
        else:
            raise RuntimeError('unknown op %r' % op)
        return None

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    try:
        b = Browser()
    except Exception as e:
        print(json.dumps({'ok': False, 'error': 'start: %s' % e}), flush=True)
        return 1
    try:
        print(json.dumps({'ok': True, 'value': 'ready'}), flush=True)
        for line in sys.stdin:
            c = json.loads(line)
            if c['op'] == 'quit':
                break
            try:
                print(json.dumps({'ok': True, 'value': b.do(c)}), flush=True)
            except Exception as e:
                print(json.dumps({'ok': False, 'error': str(e)}), flush=True)
    finally:
        b.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
