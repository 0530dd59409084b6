#!/usr/bin/env python3
"""TCP traffic for the notice benchmark (benches/notice.sh).

  tcpgen.py serve PORT             accept; read each connection to EOF; close
  tcpgen.py conns HOST PORT SECS   new connections per second (connect,
                                   send one byte, close), one line: conns_per_s=N
  tcpgen.py bulk HOST PORT SECS    one connection, bytes per second:
                                   mbit_per_s=N

New connections are what the notice redirect can cost: its rules are in a
nat chain, which the kernel consults for the first packet of a connection
only; the bulk figure shows that established traffic does not see it.
"""
import socket
import sys
import threading
import time


def serve(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(1024)

    def drain(c):
        try:
            while c.recv(1 << 16):
                pass
        except OSError:
            pass
        c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()


def conns(host, port, secs):
    n, fails = 0, 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            c = socket.create_connection((host, port), timeout=2)
            c.sendall(b"x")
            c.close()
            n += 1
        except OSError:
            fails += 1
    print("conns_per_s=%.0f failures=%d" % (n / secs, fails))
    return 1 if fails or n == 0 else 0


def bulk(host, port, secs):
    c = socket.create_connection((host, port), timeout=5)
    buf = b"\0" * (1 << 16)
    sent = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        sent += c.send(buf)
    c.close()
    print("mbit_per_s=%.0f" % (sent * 8 / secs / 1e6))
    return 0 if sent else 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(int(sys.argv[2]))
    elif cmd == "conns":
        sys.exit(conns(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    elif cmd == "bulk":
        sys.exit(bulk(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    else:
        sys.exit("usage: tcpgen.py serve PORT | conns HOST PORT SECS | bulk HOST PORT SECS")
