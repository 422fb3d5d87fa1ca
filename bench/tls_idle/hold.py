#!/usr/bin/python3
"""Opens N idle wss connections to 127.0.0.1:PORT/PATH, holds them, and prints one JSON line.

    hold.py PORT PATH N READY_FILE HOLD_SECONDS

Each connection does the TLS handshake and the WebSocket upgrade, then sends nothing and answers
nothing (the servers' keepalive is longer than the hold). READY_FILE is created once all are open
(or have failed). The certificate is not verified: a benchmark on loopback with a throwaway
self-signed certificate. Exits 1 when any connection failed or was closed during the hold."""
import asyncio
import json
import ssl
import sys

PORT, PATH, N, READY, HOLD = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], \
    float(sys.argv[5])
REQUEST = (f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGxzaWRsZXRsc2lkbGV0bA==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n").encode()


async def open_one(ctx, sem, i):
    async with sem:
        src = f"127.0.0.{2 + i % 16}"
        reader, writer = await asyncio.open_connection("127.0.0.1", PORT, ssl=ctx,
                                                       local_addr=(src, 0))
        writer.write(REQUEST)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(head.split(b"\r\n")[0].decode())
        return reader, writer


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sem = asyncio.Semaphore(200)
    results = await asyncio.gather(*(open_one(ctx, sem, i) for i in range(N)),
                                   return_exceptions=True)
    conns = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    open(READY, "w").close()
    await asyncio.sleep(HOLD)
    closed = sum(1 for reader, _ in conns if reader.at_eof())
    for _, writer in conns:
        writer.transport.abort()
    out = {"ok": not errors and closed == 0, "connections": N, "connected": len(conns),
           "connect_failed": len(errors), "closed_early": closed}
    if errors:
        out["first_error"] = repr(errors[0])
    print(json.dumps(out))
    return 0 if out["ok"] else 1


sys.exit(asyncio.run(main()))
