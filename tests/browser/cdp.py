#!/usr/bin/env python3
"""Drive headless Chromium over the DevTools protocol, for the lab tests.

The protocol runs over a pipe (--remote-debugging-pipe: requests on fd 3,
replies and events on fd 4, each a JSON message ended by NUL), so no
websocket library and no open port are needed: only Debian's chromium and
python3. The test runs this script inside a network namespace
(`ip netns exec NS python3 cdp.py STEPS.json`); the browser lives and dies
with it.

STEPS.json is a list of steps; the script prints one JSON object:
{"steps": [result per step], "console": [messages and exceptions]}.
  {"op": "goto", "url": U}            navigate, wait for the load event;
                                      result: the final URL
  {"op": "text", "selector": S}       innerText of S (default body)
  {"op": "eval", "expr": E}           the value of a JS expression
  {"op": "click", "selector": S}      a real mouse click in the middle of
                                      S, then wait for the load event;
                                      result: the final URL
  {"op": "shot", "path": P}           full-page PNG to P
The browser's Accept-Language is $CDP_ACCEPT_LANGUAGE (default en-US,en).
Any failure exits non-zero with one line on stderr.
"""
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time

TIMEOUT = 20.0


class Browser:
    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
             "--remote-debugging-pipe", "--window-size=1000,1200",
             "--accept-lang=" + os.environ.get("CDP_ACCEPT_LANGUAGE", "en-US,en"),
             "--user-data-dir=" + profile, "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.console = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        want = self.next_id
        while True:
            m = self.read(TIMEOUT)
            if m.get("id") == want:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            self.note(m)

    def read(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("no answer from chromium within %.0f s" % timeout)
            r, _, _ = select.select([self.from_chrome], [], [], left)
            if r:
                chunk = os.read(self.from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium exited")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def note(self, m):
        method = m.get("method", "")
        p = m.get("params", {})
        if method == "Runtime.consoleAPICalled":
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.console.append("console.%s: %s" % (p.get("type"), args))
        elif method == "Runtime.exceptionThrown":
            self.console.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            self.console.append("log.%s: %s" % (e.get("level"), e.get("text")))
        else:
            self.events.append(m)

    def wait_event(self, name):
        for i, m in enumerate(self.events):
            if m.get("method") == name:
                del self.events[: i + 1]
                return m
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = self.read(max(0.1, deadline - time.monotonic()))
            if m.get("method") == name:
                return m
            self.note(m)

    def attach(self):
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(domain + ".enable")

    def evaluate(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate %r: %s" % (expr, r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def url(self):
        return self.evaluate("location.href")

    def goto(self, url):
        self.events.clear()
        r = self.send("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise RuntimeError("navigate %s: %s" % (url, r["errorText"]))
        self.wait_event("Page.loadEventFired")
        return self.url()

    def click(self, selector):
        box = self.evaluate(
            "(() => { const e = document.querySelector(%s); if (!e) return null;"
            " e.scrollIntoView(); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
        if box is None:
            raise RuntimeError("no element %s to click" % selector)
        self.events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent",
                      {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})
        self.wait_event("Page.loadEventFired")
        return self.url()

    def shot(self, path):
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main():
    steps = json.load(open(sys.argv[1]))
    with tempfile.TemporaryDirectory(prefix="iocg-cdp-") as profile:
        b = Browser(profile)
        try:
            b.attach()
            out = []
            for s in steps:
                op = s["op"]
                if op == "goto":
                    out.append(b.goto(s["url"]))
                elif op == "text":
                    out.append(b.evaluate("document.querySelector(%s).innerText" % json.dumps(s.get("selector", "body"))))
                elif op == "eval":
                    out.append(b.evaluate(s["expr"]))
                elif op == "click":
                    out.append(b.click(s["selector"]))
                elif op == "shot":
                    out.append(b.shot(s["path"]))
                else:
                    raise RuntimeError("unknown step %r" % op)
            print(json.dumps({"steps": out, "console": b.console}))
        except Exception as e:
            print("cdp.py: %s" % e, file=sys.stderr)
            sys.exit(1)
        finally:
            b.close()


if __name__ == "__main__":
    main()
