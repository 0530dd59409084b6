#!/usr/bin/env python3
"""What a LAN host sees: one TCP connection, one HTTP GET, one DNS query.

    probe.py tcp ADDR PORT            connected (with the server's banner),
                                      refused, unreachable or timeout
    probe.py http URL [--follow]      status and Location; with --follow the
                                      redirect target's status and text too
    probe.py dns SERVER NAME [TYPE]   NXDOMAIN, or the addresses answered
    probe.py understand URL           on the notice page at URL, press
                                      "I understand" (submit its form)

One line per result, so the demo shows it and the system test asserts on
it. Standard library only; every wait is bounded (3 s).
"""
import errno
import html
import random
import re
import socket
import struct
import sys
import urllib.parse

TIMEOUT = 3.0


def tcp(addr, port):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    shown = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
    try:
        s.connect((addr, int(port)))
    except ConnectionRefusedError:
        return f"tcp {shown} refused"
    except socket.timeout:
        return f"tcp {shown} timeout"
    except OSError as e:
        if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES):
            return f"tcp {shown} unreachable"
        raise
    try:
        banner = s.recv(200).decode("utf-8", "replace").strip()
    except OSError:
        banner = ""
    finally:
        s.close()
    return f"tcp {shown} connected: {banner}"


def get(url, form=None):
    u = urllib.parse.urlsplit(url)
    host = u.hostname
    port = u.port or 80
    path = u.path or "/"
    if u.query:
        path += "?" + u.query
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect((host, port))
    if form is None:
        req = f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n".encode()
    else:
        body = urllib.parse.urlencode(form).encode()
        req = (
            f"POST {path} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
    s.sendall(req)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    location = next((l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("location:")), None)
    return status, location, body.decode("utf-8", "replace")


def text_of(page, n=6):
    """The first n lines of a page's visible text."""
    page = re.sub(r"(?is)<(style|script|head)\b.*?</\1>", "", page)
    page = re.sub(r"(?i)<(br|p|h[1-6]|li|tr|div|dt|dd|title)\b[^>]*>", "\n", page)
    words = html.unescape(re.sub(r"<[^>]+>", "", page))
    lines = [" ".join(l.split()) for l in words.splitlines()]
    return [l for l in lines if l][:n]


def http(url, follow):
    out = []
    status, location, body = get(url)
    out.append(f"http {url} {status}" + (f" Location: {location}" if location else ""))
    if follow and location:
        target = urllib.parse.urljoin(url, location)
        status, location, body = get(target)
        out.append(f"http {target} {status}")
    if follow or status == 200:
        out += ["  | " + l for l in text_of(body)]
    return "\n".join(out)


def understand(url):
    status, _, page = get(url)
    m = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    if status != 200 or not m:
        return f"http {url} {status}: no confirmation form"
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', m.group(2)))
    target = urllib.parse.urljoin(url, m.group(1))
    status, location, body = get(target, form)
    out = [f"http POST {target} {status}" + (f" Location: {location}" if location else "")]
    if location:
        target = urllib.parse.urljoin(target, location)
        status, _, body = get(target)
        out.append(f"http {target} {status}")
    return "\n".join(out + ["  | " + l for l in text_of(body, 3)])


def dns(server, name, qtype="A"):
    types = {"A": 1, "AAAA": 28}
    qid = random.randrange(65536)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", types[qtype], 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    s.sendto(q, (server, 53))
    try:
        r, _ = s.recvfrom(4096)
    except socket.timeout:
        return f"dns {name} @{server}: timeout"
    rid, flags, _, ancount, _, _ = struct.unpack("!HHHHHH", r[:12])
    if rid != qid:
        return f"dns {name} @{server}: bad reply id"
    rcode = flags & 0xF
    if rcode:
        names = {2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
        return f"dns {name} @{server}: {names.get(rcode, rcode)}"
    # Skip the question, read the A/AAAA answers.
    i = 12
    while r[i]:
        i += 1 + r[i]
    i += 5
    addrs = []
    for _ in range(ancount):
        if r[i] & 0xC0 == 0xC0:
            i += 2
        else:
            while r[i]:
                i += 1 + r[i]
            i += 1
        rtype, _, _, rdlen = struct.unpack("!HHIH", r[i : i + 10])
        i += 10
        rdata = r[i : i + rdlen]
        i += rdlen
        if rtype == 1:
            addrs.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == 28:
            addrs.append(socket.inet_ntop(socket.AF_INET6, rdata))
    if not addrs:
        return f"dns {name} @{server}: no answer (NOERROR)"
    return f"dns {name} @{server}: answer " + " ".join(addrs)


def main(argv):
    if len(argv) >= 3 and argv[0] == "tcp":
        print(tcp(argv[1], argv[2]))
    elif len(argv) >= 2 and argv[0] == "http":
        print(http(argv[1], "--follow" in argv[2:]))
    elif len(argv) >= 2 and argv[0] == "understand":
        print(understand(argv[1]))
    elif len(argv) >= 3 and argv[0] == "dns":
        print(dns(argv[1], argv[2], *argv[3:4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
