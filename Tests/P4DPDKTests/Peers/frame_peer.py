#!/usr/bin/env python3
"""Test peer for P4DPDKTests: sends and captures raw Ethernet frames on one interface with an
AF_PACKET socket (no scapy). Run inside the test's network namespace (ip netns exec).

  frame_peer.py send IFACE HEX [HEX...]        send each frame
  frame_peer.py capture IFACE SECONDS          print "ready", then each received IPv4/ARP
                                               frame as one hex line until SECONDS pass
"""
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
WANTED_TYPES = (b"\x08\x00", b"\x08\x06")  # IPv4, ARP: the rest is link noise


def open_socket(interface):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((interface, 0))
    return sock


def send(interface, frames):
    sock = open_socket(interface)
    for frame in frames:
        sock.send(bytes.fromhex(frame))
        time.sleep(0.01)


def capture(interface, seconds):
    sock = open_socket(interface)
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        readable, _, _ = select.select([sock], [], [], left)
        if not readable:
            continue
        frame, address = sock.recvfrom(65535)
        if address[2] == PACKET_OUTGOING or frame[12:14] not in WANTED_TYPES:
            continue
        print(frame.hex(), flush=True)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "capture":
        capture(sys.argv[2], float(sys.argv[3]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
