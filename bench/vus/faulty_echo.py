#!/usr/bin/env python3
"""A WebSocket echo server that misbehaves once, on purpose, to show that the scenario checks notice.

    faulty_echo.py PORT MODE

MODE is one of:
  none      echo everything correctly
  drop      do not answer the 7th message the server receives
  corrupt   flip one byte of the 7th reply
  type      answer the 7th message with the other frame type (text as binary, binary as text)
  extra     answer the 7th message twice
  extralast answer the 4th message of the first connection that sends four twice (the last one
            in selftest.sh, which closes after the reply)
  reset     drop the connection of the 7th message without a close frame
  refuse    answer the 3rd upgrade request with 503

Listens on 127.0.0.1 only. Standard library only; enough of RFC 6455 for a WebSocket client
(unfragmented frames, masked from the client, ping and close).
"""
import asyncio
import base64
import hashlib
import struct
import sys

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FAULT_AT = 7
state = {"messages": 0, "upgrades": 0, "extralast": False}


def frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


async def read_frame(reader: asyncio.StreamReader):
    b0, b1 = await reader.readexactly(2)
    opcode, n = b0 & 0x0F, b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    mask = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
    data = bytearray(await reader.readexactly(n))
    for i in range(n):
        data[i] ^= mask[i % 4]
    return opcode, bytes(data)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, mode: str) -> None:
    try:
        request = await reader.readuntil(b"\r\n\r\n")
        key = b""
        for line in request.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        state["upgrades"] += 1
        if mode == "refuse" and state["upgrades"] == 3:
            writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            return
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        count = 0
        while True:
            opcode, data = await read_frame(reader)
            if opcode == 0x8:
                writer.write(frame(0x8, data[:2] if len(data) >= 2 else b""))
                await writer.drain()
                return
            if opcode == 0x9:
                writer.write(frame(0xA, data))
                continue
            if opcode not in (0x1, 0x2):
                continue
            state["messages"] += 1
            count += 1
            replies = [(opcode, data)]
            if mode == "extralast" and count == 4 and not state["extralast"]:
                state["extralast"] = True
                replies = [(opcode, data), (opcode, data)]
            if state["messages"] == FAULT_AT:
                if mode == "drop":
                    replies = []
                elif mode == "corrupt":
                    replies = [(opcode, data[:-1] + bytes([data[-1] ^ 0x01]))]
                elif mode == "type":
                    replies = [(0x3 - opcode, data)]
                elif mode == "extra":
                    replies = [(opcode, data), (opcode, data)]
                elif mode == "reset":
                    writer.transport.abort()
                    return
            for op, payload in replies:
                writer.write(frame(op, payload))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main() -> None:
    port, mode = int(sys.argv[1]), sys.argv[2]
    server = await asyncio.start_server(lambda r, w: handle(r, w, mode), "127.0.0.1", port)
    async with server:
        await server.serve_forever()


MODES = ("none", "drop", "corrupt", "type", "extra", "extralast", "reset", "refuse")

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in MODES:
        sys.exit(__doc__)
    asyncio.run(main())
