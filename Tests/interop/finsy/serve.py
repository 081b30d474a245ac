"""Runs finsy's P4Runtime test server on 127.0.0.1 only, for FinsyPeerTests.swift.

`python -m finsy.test.p4runtime_server --port N` listens on localhost:N, which is ::1 as well,
and takes the port from the caller; the tests may bind only 127.0.0.1 on free ports. So this
starts the same server class (finsy.test.p4runtime_server.P4RuntimeServer, unchanged) on
127.0.0.1 and a port the kernel chose, prints "ready <port>" once it listens, and serves until
its stdin closes (so the server also ends when the test process dies) or it is signalled.
"""

import asyncio
import socket
import sys

from finsy.test.p4runtime_server import P4RuntimeServer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def main() -> None:
    port = free_port()
    async with P4RuntimeServer(f"127.0.0.1:{port}").run():
        print(f"ready {port}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main())
