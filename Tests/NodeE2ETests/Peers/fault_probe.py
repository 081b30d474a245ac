#!/usr/bin/env python3
"""Long-lived traffic for NodeFaultTests, run inside a pod's network namespace (`ip netns
exec`); pod_peer.py's `serve` answers the UDP probe, this file's `tcp-echo` the held connection.

Server:
  tcp-echo PORT            echoes every byte back, one thread per connection
Probes (one line per event to OUT, flushed at once, so the test reads them while they run):
  udp-probe IP PORT OUT SECONDS INTERVAL_MS
      a datagram every INTERVAL_MS from one socket; each reply is written as
      "reply RECEIVED" (wall-clock seconds, CLOCK_REALTIME like the daemons' UTC log
      timestamps, so the test can compare a reply with a log line).
  tcp-hold IP PORT OUT SECONDS INTERVAL_MS
      one TCP connection held open; a line "seq" every INTERVAL_MS, each echo written as
      "echo SEQ RECEIVED"; a broken connection writes "broken ERROR" and exits 1 (the test
      asserts it never happens while the connection must survive).
The probes end by themselves after SECONDS and write "done".
"""
import socket
import sys
import threading
import time


def tcp_echo(port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(16)

    def serve(conn):
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                conn.sendall(data)

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def udp_probe(ip, port, out, seconds, interval):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.time() + seconds
    while time.time() < end:
        sent = time.time()
        try:
            sock.sendto(b"probe", (ip, port))
        except OSError:  # e.g. an ICMP error from the last datagram: not an answer
            pass
        while True:
            left = sent + interval - time.time()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                sock.recv(2048)
            except (socket.timeout, OSError):
                break
            out.write("reply %.6f\n" % time.time())
            out.flush()
    out.write("done\n")


def tcp_hold(ip, port, out, seconds, interval):
    conn = socket.create_connection((ip, port), timeout=2)
    conn.settimeout(2)
    reader = conn.makefile("r")
    end = time.time() + seconds
    seq = 0
    try:
        while time.time() < end:
            seq += 1
            conn.sendall(b"%d\n" % seq)
            line = reader.readline()
            if line.strip() != str(seq):
                raise OSError("echo %r for %d" % (line, seq))
            out.write("echo %d %.6f\n" % (seq, time.time()))
            out.flush()
            time.sleep(interval)
    except OSError as error:
        out.write("broken %s\n" % error)
        out.flush()
        sys.exit(1)
    out.write("done\n")


def main():
    mode = sys.argv[1]
    if mode == "tcp-echo":
        tcp_echo(int(sys.argv[2]))
    elif mode in ("udp-probe", "tcp-hold"):
        ip, port, path = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        seconds, interval = float(sys.argv[5]), float(sys.argv[6]) / 1000
        with open(path, "a", buffering=1) as out:
            (udp_probe if mode == "udp-probe" else tcp_hold)(ip, port, out, seconds, interval)
    else:
        sys.exit("fault_probe: unknown mode %r" % mode)


if __name__ == "__main__":
    main()
