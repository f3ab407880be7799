#!/usr/bin/env python3
"""cdp.py PORT URL SECONDS DOM_OUT PNG_OUT: drives a headless Chromium
started with --remote-debugging-port=PORT through the DevTools protocol
(a WebSocket; Python standard library only): opens URL, lets it run for
SECONDS of real time (the page's server-sent events keep arriving), then
writes the page's DOM to DOM_OUT and a screenshot to PNG_OUT."""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class WebSocket:
    """The client side of RFC 6455, enough for DevTools: text frames."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise OSError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise OSError("websocket handshake refused: %r" % head[:80])
        self.next_id = 1

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(hdr + mask + body)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise OSError("websocket closed")
            buf += chunk
        return buf

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            message += payload
            if b0 & 0x80:
                return message.decode()

    def call(self, method, **params):
        my_id = self.next_id
        self.next_id += 1
        self.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})


def main():
    port, url, seconds, dom_out, png_out = sys.argv[1:6]
    deadline = time.time() + 30
    while True:
        try:
            pages = json.load(urllib.request.urlopen(
                "http://127.0.0.1:%s/json" % port, timeout=5))
            page = next(p for p in pages if p.get("type") == "page")
            break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    ws = WebSocket(page["webSocketDebuggerUrl"])
    ws.call("Page.enable")
    ws.call("Page.navigate", url=url)
    time.sleep(float(seconds))
    dom = ws.call("Runtime.evaluate",
                  expression="document.documentElement.outerHTML",
                  returnByValue=True)["result"]["value"]
    with open(dom_out, "w") as f:
        f.write(dom)
    shot = ws.call("Page.captureScreenshot", format="png")
    with open(png_out, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


if __name__ == "__main__":
    main()
