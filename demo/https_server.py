#!/usr/bin/env python3
"""The IT centre's feed server for the demo: Python's http.server (with
Last-Modified and If-Modified-Since, as a static web server answers) over
TLS with the demo CA's certificate.

    https_server.py --cert PEM --key PEM --dir DIR --bind ADDR --port N
"""
import argparse
import functools
import http.server
import ssl


def main():
    p = argparse.ArgumentParser()
    for opt in ("--cert", "--key", "--dir", "--bind"):
        p.add_argument(opt, required=True)
    p.add_argument("--port", type=int, default=443)
    a = p.parse_args()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=a.dir)
    httpd = http.server.ThreadingHTTPServer((a.bind, a.port), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
