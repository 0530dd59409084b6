#!/usr/bin/env python3
"""The Internet of the demo, in the WAN namespace: every address it owns
answers, so a block that the router missed is visible.

- port 80: a web page. On a C2 address (203.0.113.0/24, 2001:db8:3::/48)
  it says the block was missed; elsewhere (the benign site) a plain page.
- port 443: a one-line banner naming the address, so a connection that
  got through shows whom it reached (the demo's beacons use it: no TLS
  needed to see that a connection was made).
"""
import ipaddress
import socket
import socketserver
import threading

C2 = [ipaddress.ip_network("203.0.113.0/24"), ipaddress.ip_network("2001:db8:3::/48")]


def local_addr(sock):
    a = ipaddress.ip_address(sock.getsockname()[0])
    if a.version == 6 and a.ipv4_mapped:
        a = a.ipv4_mapped
    return a


def is_c2(a):
    return any(a in n for n in C2)


class Web(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self):
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        a = local_addr(self.connection)
        if is_c2(a):
            title, text = "C2 server", f"C2 server {a}: the router did NOT block this connection"
        else:
            title, text = "Benign site", f"benign web site {a}: ordinary content"
        body = f"<!DOCTYPE html><html><head><title>{title}</title></head><body><p>{text}</p></body></html>\n"
        data = body.encode()
        self.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            + data
        )


class Banner(socketserver.StreamRequestHandler):
    def handle(self):
        a = local_addr(self.connection)
        who = "C2 server" if is_c2(a) else "server"
        self.wfile.write(f"{who} {a} reached\n".encode())


class Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    servers = [Server(("::", 80), Web), Server(("::", 443), Banner)]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
