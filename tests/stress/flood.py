# SPDX-License-Identifier: GPL-2.0
"""Spoofed new connections: flood.py DST tcp|udp SECONDS PORT.

Sends TCP SYNs or UDP datagrams to DST:PORT from random sources in 10.9.0.0/16 and random
ports, through a raw socket, for SECONDS; prints how many it sent."""
import random
import socket
import struct
import sys
import time

dst, proto, secs, port = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def packet(src, sport):
    saddr, daddr = socket.inet_aton(src), socket.inet_aton(dst)
    if proto == "tcp":
        number = socket.IPPROTO_TCP
        l4 = struct.pack("!HHIIBBHHH", sport, port, random.getrandbits(32), 0, 5 << 4, 0x02, 64240, 0, 0)
    else:
        number = socket.IPPROTO_UDP
        l4 = struct.pack("!HHHH", sport, port, 12, 0) + b"ping"
    pseudo = saddr + daddr + struct.pack("!BBH", 0, number, len(l4))
    c = csum(pseudo + l4)
    off = 16 if proto == "tcp" else 6
    l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, number, 0, saddr, daddr)
    return ip + l4


s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sent = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    for _ in range(64):
        src = "10.9.%d.%d" % (random.randrange(256), random.randrange(1, 255))
        try:
            s.sendto(packet(src, random.randrange(1024, 65535)), (dst, 0))
            sent += 1
        except OSError:
            pass
print(sent)
