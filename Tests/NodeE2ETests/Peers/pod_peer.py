#!/usr/bin/env python3
"""Small traffic peers the node end-to-end tests run inside pod network namespaces.

  pod_peer.py serve NAME --tcp 8080,9090 --udp 5353
      TCP: every connection gets "NAME\n" and is closed. UDP: every datagram is answered with
      "NAME". Prints "ready" once every socket is bound; runs until killed.
  pod_peer.py tcp HOST PORT COUNT TIMEOUT
      COUNT connections, one after the other, each from a new source port. One line per
      attempt: "ok REPLY PEER_IP:PEER_PORT" or "fail REASON".
  pod_peer.py udp HOST PORT COUNT TIMEOUT
      COUNT datagrams, each from a new socket (a new source port), sent unconnected so the
      reply's real source address is seen. One line per attempt: "ok REPLY SRC_IP:SRC_PORT" or
      "fail REASON".
"""
import selectors
import socket
import sys


def serve(name, tcp_ports, udp_ports):
    selector = selectors.DefaultSelector()
    for port in tcp_ports:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", port))
        listener.listen(64)
        selector.register(listener, selectors.EVENT_READ, "tcp")
    for port in udp_ports:
        datagrams = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        datagrams.bind(("0.0.0.0", port))
        selector.register(datagrams, selectors.EVENT_READ, "udp")
    print("ready", flush=True)
    reply = name.encode()
    while True:
        for key, _ in selector.select():
            if key.data == "tcp":
                connection, _ = key.fileobj.accept()
                try:
                    connection.sendall(reply + b"\n")
                finally:
                    connection.close()
            else:
                _, source = key.fileobj.recvfrom(2048)
                key.fileobj.sendto(reply, source)


def tcp(host, port, count, timeout):
    for _ in range(count):
        try:
            with socket.create_connection((host, port), timeout=timeout) as connection:
                peer = connection.getpeername()
                data = b""
                while not data.endswith(b"\n"):
                    chunk = connection.recv(256)
                    if not chunk:
                        break
                    data += chunk
                print(f"ok {data.decode().strip() or '-'} {peer[0]}:{peer[1]}", flush=True)
        except OSError as error:
            print(f"fail {type(error).__name__}", flush=True)


def udp(host, port, count, timeout):
    for _ in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagrams:
            datagrams.settimeout(timeout)
            try:
                datagrams.sendto(b"hello", (host, port))
                data, source = datagrams.recvfrom(2048)
                print(f"ok {data.decode()} {source[0]}:{source[1]}", flush=True)
            except OSError as error:
                print(f"fail {type(error).__name__}", flush=True)


def ports(text):
    return [int(part) for part in text.split(",") if part]


def main(argv):
    if argv[0] == "serve":
        options = dict(zip(argv[2::2], argv[3::2]))
        serve(argv[1], ports(options.get("--tcp", "")), ports(options.get("--udp", "")))
    elif argv[0] in ("tcp", "udp"):
        run = tcp if argv[0] == "tcp" else udp
        run(argv[1], int(argv[2]), int(argv[3]), float(argv[4]))
    else:
        sys.exit(f"pod_peer.py: unknown mode {argv[0]!r} (serve, tcp, udp)")


if __name__ == "__main__":
    main(sys.argv[1:])
