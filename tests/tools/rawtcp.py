#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sends one TCP segment with the given flags, sequence and acknowledgment numbers from a raw
socket, checksummed: what the tests inject into connections.

    rawtcp.py SRC DST SPORT DPORT FLAGS [SEQ [ACK [WINDOW]]]

FLAGS is a string of S, A, F, R, P (SYN, ACK, FIN, RST, PSH). Addresses are IPv4 or IPv6.
"""
import ipaddress
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    src, dst = ipaddress.ip_address(sys.argv[1]), ipaddress.ip_address(sys.argv[2])
    sport, dport = int(sys.argv[3]), int(sys.argv[4])
    bits = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}
    flags = sum(bits[c] for c in sys.argv[5])
    seq = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    ack = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    window = int(sys.argv[8]) if len(sys.argv) > 8 else 65535
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 6, len(tcp))
        family = socket.AF_INET
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(tcp), 6)
        family = socket.AF_INET6
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    with socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP) as s:
        s.bind((str(src), 0))
        s.sendto(tcp, (str(dst), 0))


main()
