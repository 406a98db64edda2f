#!/usr/bin/python3
"""A TCP proxy on loopback that emulates a link (one-way delay, shared bandwidth) and counts bytes.

    netem-proxy.py --listen 127.0.0.1:0 --target 127.0.0.1:PORT [--delay-ms N] [--rate BYTES_PER_S]
                   [--port-file F] [--stats-file F] [--dump F]

The benchmark's fallback when the project's tests/fault/fault-proxy is not built; same flags.
--delay-ms is added to every byte in each direction (so a round trip gains 2 x N ms); --rate is the
capacity of the emulated link in each direction, shared by all connections (a FIFO queue, like one
access link), 0 = unlimited. The listening port is written to --port-file once bound. On SIGTERM or
SIGINT (and after every closed connection) the byte counts are written to --stats-file as JSON:
{"client_to_server": N, "server_to_client": N, "connections": N} — TCP payload as read from each
side, i.e. everything the IMAP client and server exchanged (including TLS records when TLS is used),
without TCP/IP headers.
--dump F appends every chunk read, as it was read: "<seconds since the proxy started> <connection>
<C|S> <bytes>" and then the bytes (C: client to server), to see what a sync's bytes are.
"""
import argparse
import asyncio
import json
import os
import signal
import time

CHUNK = 16 * 1024          # pacing granularity
QUEUE_LIMIT = 1 << 20      # bytes buffered per direction of a connection before reading stops


class Link:
    """One direction of the emulated link: serialisation at `rate`, then propagation `delay`."""

    def __init__(self, rate, delay):
        self.rate, self.delay, self.free_at = rate, delay, 0.0

    def deliver_at(self, n):
        now = time.monotonic()
        if self.rate <= 0:
            return now + self.delay
        start = max(now, self.free_at)
        self.free_at = start + n / self.rate
        return self.free_at + self.delay


class Stats:
    def __init__(self, path):
        self.path, self.c2s, self.s2c, self.connections = path, 0, 0, 0

    def write(self):
        if not self.path:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"client_to_server": self.c2s, "server_to_client": self.s2c,
                       "connections": self.connections}, f)
        os.replace(tmp, self.path)


class Dump:
    def __init__(self, path):
        self.file = open(path, "ab") if path else None
        self.start = time.monotonic()

    def chunk(self, connection, attr, data):
        if self.file:
            side = "C" if attr == "c2s" else "S"
            self.file.write(f"{time.monotonic() - self.start:.6f} {connection} {side} {len(data)}\n".encode() + data + b"\n")
            self.file.flush()


async def pump(reader, writer, link, stats, attr, dump=None, connection=0):
    queue = asyncio.Queue()
    queued = [0]
    room = asyncio.Event()
    room.set()

    dead = [False]

    async def deliver():
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                when, data = item
                delay = when - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
                queued[0] -= len(data)
                if queued[0] <= QUEUE_LIMIT:
                    room.set()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            dead[0] = True  # the destination is gone: stop reading the source too
            room.set()

    task = asyncio.create_task(deliver())
    try:
        while True:
            await room.wait()
            if dead[0]:
                break
            data = await reader.read(CHUNK)
            if not data or dead[0]:
                break
            setattr(stats, attr, getattr(stats, attr) + len(data))
            if dump:
                dump.chunk(connection, attr, data)
            queued[0] += len(data)
            if queued[0] > QUEUE_LIMIT:
                room.clear()
            queue.put_nowait((link.deliver_at(len(data)), data))
    except (ConnectionError, OSError):
        pass
    queue.put_nowait(None)
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--target", required=True)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--rate", type=float, default=0.0, help="bytes per second per direction, 0 = unlimited")
    ap.add_argument("--port-file")
    ap.add_argument("--stats-file")
    ap.add_argument("--dump")
    args = ap.parse_args()
    lhost, lport = args.listen.rsplit(":", 1)
    thost, tport = args.target.rsplit(":", 1)
    up = Link(args.rate, args.delay_ms / 1000)
    down = Link(args.rate, args.delay_ms / 1000)
    stats = Stats(args.stats_file)
    dump = Dump(args.dump)

    async def handle(creader, cwriter):
        stats.connections += 1
        connection = stats.connections
        try:
            sreader, swriter = await asyncio.open_connection(thost, int(tport))
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, swriter, up, stats, "c2s", dump, connection),
                             pump(sreader, cwriter, down, stats, "s2c", dump, connection))
        for w in (cwriter, swriter):
            w.close()
        stats.write()

    server = await asyncio.start_server(handle, lhost, int(lport), reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    stats.write()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    stats.write()


if __name__ == "__main__":
    asyncio.run(main())
