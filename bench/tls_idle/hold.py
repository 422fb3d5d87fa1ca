#!/usr/bin/python3
"""Opens N idle wss connections to 127.0.0.1:PORT/PATH, holds them, and prints one JSON line.

    hold.py PORT PATH N READY_FILE HOLD_SECONDS [PROCS]

Each connection does the TLS handshake and the WebSocket upgrade, then sends nothing and answers
nothing (the servers' keepalive is longer than the hold). The connections are spread over PROCS
processes (1 by default), since each may open only so many files. READY_FILE is created once all
are open (or have failed), and every process holds its connections HOLD_SECONDS from then. The
certificate is not verified: a benchmark on loopback with a throwaway self-signed certificate.
Exits 1 when any connection failed or was closed during the hold."""
import asyncio
import json
import multiprocessing
import queue
import ssl
import sys
import threading
import time

PORT, PATH, N, READY, HOLD = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], \
    float(sys.argv[5])
PROCS = int(sys.argv[6]) if len(sys.argv) > 6 else 1
OPEN_LIMIT = 600  # seconds for every process to open its connections before the run fails
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


async def hold(first, count, opened, stop):
    """Opens connections first..first+count, waits for every process to have opened its own, holds
    them until told to stop, and returns what it found."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    sem = asyncio.Semaphore(200)
    results = await asyncio.gather(*(open_one(ctx, sem, i) for i in range(first, first + count)),
                                   return_exceptions=True)
    conns = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, opened.wait, OPEN_LIMIT)
    await loop.run_in_executor(None, stop.wait)
    closed = sum(1 for reader, _ in conns if reader.at_eof())
    for _, writer in conns:
        writer.transport.abort()
    return {"connected": len(conns), "connect_failed": len(errors), "closed_early": closed,
            "first_error": repr(errors[0]) if errors else None}


def child(first, count, opened, stop, out):
    out.put(asyncio.run(hold(first, count, opened, stop)))


def main():
    opened = multiprocessing.Barrier(PROCS + 1)
    stop = multiprocessing.Event()
    out = multiprocessing.Queue()
    procs = []
    for p in range(PROCS):
        first = p * (N // PROCS) + min(p, N % PROCS)
        count = N // PROCS + (1 if p < N % PROCS else 0)
        procs.append(multiprocessing.Process(target=child, args=(first, count, opened, stop, out)))
        procs[-1].start()
    try:
        opened.wait(OPEN_LIMIT)
        open(READY, "w").close()
        time.sleep(HOLD)
        stop.set()
        found = [out.get(timeout=OPEN_LIMIT) for _ in procs]
    except (threading.BrokenBarrierError, queue.Empty):
        stop.set()
        for proc in procs:
            proc.kill()
        print(json.dumps({"ok": False, "connections": N, "procs": PROCS,
                          "first_error": "a process did not open its connections or report"}))
        return 1
    for proc in procs:
        proc.join()
    total = {k: sum(f[k] for f in found) for k in ("connected", "connect_failed", "closed_early")}
    errors = [f["first_error"] for f in found if f["first_error"]]
    result = {"ok": total["connect_failed"] == 0 and total["closed_early"] == 0, "connections": N,
              "procs": PROCS, **total}
    if errors:
        result["first_error"] = errors[0]
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
