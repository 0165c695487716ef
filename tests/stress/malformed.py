# SPDX-License-Identifier: GPL-2.0
"""Malformed packets: malformed.py 4|6 SRC DST ROUNDS.

Sends, through raw sockets with our own IP headers (so they pass LOCAL_OUT and POST_ROUTING
here and PRE_ROUTING and LOCAL_IN at DST), a corpus of truncated, bad-length and bad-option
TCP, UDP, UDP-Lite, SCTP, ICMP and ICMPv6 packets, ICMP errors quoting garbage or other errors,
IPv6 extension header chains that run past the end, overlapping IPv4 fragments, then ROUNDS
random mutations of them. Prints how many were sent."""
import random
import socket
import struct
import sys

fam, src, dst, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
random.seed(7)
af = socket.AF_INET if fam == "4" else socket.AF_INET6
S, D = socket.inet_pton(af, src), socket.inet_pton(af, dst)


def ip4(proto, payload, ihl=5, frag=0, ident=1, opts=b""):
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload), ident, frag, 64, proto, 0, S, D)
    return h + opts + payload


def ip6(nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64, S, D) + payload


def tcp(flags=0x02, doff=5, opts=b"", data=b"", sp=40000, dp=7000):
    return struct.pack("!HHIIBBHHH", sp, dp, 1000, 0, doff << 4, flags, 1024, 0, 0) + opts + data


def udp(length=None, data=b"ping", sp=40001, dp=7001):
    return struct.pack("!HHHH", sp, dp, 8 + len(data) if length is None else length, 0) + data


tcps = [
    tcp()[:5], tcp()[:12], tcp()[:19], tcp(doff=2), tcp(doff=15), tcp(doff=6, opts=b"\x02\x00\x00\x00"),
    tcp(doff=6, opts=b"\x03\x01\x00\x00"), tcp(doff=6, opts=b"\x04\xff\x00\x00"),
    tcp(doff=7, opts=b"\x05\x07" + b"\x00" * 6), tcp(doff=6, opts=b"\x03\x03\xc8\x00"),
    tcp(flags=0xff), tcp(flags=0x07), tcp(flags=0x00), tcp(flags=0x10, doff=15, opts=b"\x01" * 40),
    tcp(doff=8, opts=b"\x05\x0a" + b"\xff" * 8 + b"\x00\x00"),
]
udps = [udp(0), udp(4), udp(7), udp(2000), udp()[:4], udp()[:7]]
icmp_msgs = [b"\x08", b"\x08\x00\x00", b"\x00\x00\x00\x00\x00\x00\x00\x00"]
inner4 = [b"", ip4(6, b"")[:10], b"\x4f" + b"\x00" * 19, ip4(6, tcp()[:4]), ip4(1, b"\x03\x03\x00\x00\x00\x00\x00\x00" + ip4(17, udp())),
          ip4(17, udp(), ihl=6, opts=b"\x07\x27\x00\x00")[:24], ip4(6, tcp(), frag=0x2001)]
for t in (3, 4, 5, 11, 12):
    for inner in inner4:
        icmp_msgs.append(struct.pack("!BBHI", t, 1, 0, 0) + inner)
inner6 = [b"", ip6(6, b"")[:20], ip6(0, b"\x06\xff" + b"\x00" * 6), ip6(44, b"\x06\x00\x00\x01\x00\x00\x00\x01"),
          ip6(58, b"\x01\x04\x00\x00\x00\x00\x00\x00" + ip6(17, udp())), ip6(17, udp()[:3])]
icmp6_msgs = [b"\x80", b"\x80\x00\x00"]
for t in (1, 2, 3, 4):
    for inner in inner6:
        icmp6_msgs.append(struct.pack("!BBHI", t, 0, 0, 0) + inner)
icmp6_msgs += [struct.pack("!BBHI", 137, 0, 0, 0) + D + S + opt for opt in (b"\x04\x00", b"\x04\x01" + b"\x00" * 6, b"\x04\x02\x00\x00\x00\x00\x00\x00" + ip6(6, tcp())[:12], b"\x01\x00")]

corpus = []
if fam == "4":
    corpus += [ip4(6, p) for p in tcps] + [ip4(17, p) for p in udps] + [ip4(136, p) for p in udps]
    corpus += [ip4(1, p) for p in icmp_msgs] + [ip4(132, b"\x00" * n) for n in (0, 4, 12, 13)]
    corpus += [ip4(58, icmp6_msgs[2]), ip4(47, b"\x00\x00")]
    corpus += [ip4(6, tcp(), ihl=15, opts=b"\x44\x28" + b"\x01" * 38), ip4(17, udp(), ihl=6, opts=b"\x83\x00\x00\x00")]
    # Overlapping fragments of one datagram.
    whole = udp(data=b"A" * 40)
    corpus += [ip4(17, whole[:24], frag=0x2000, ident=77), ip4(17, whole[8:32], frag=0x2001, ident=77), ip4(17, whole[16:], frag=0x0002, ident=77)]
else:
    corpus += [ip6(6, p) for p in tcps] + [ip6(17, p) for p in udps] + [ip6(136, p) for p in udps]
    corpus += [ip6(58, p) for p in icmp6_msgs] + [ip6(1, icmp_msgs[5]), ip6(132, b"\x00" * 3)]
    for chain in (b"\x06\xff" + b"\x00" * 6, b"\x2b\x00" + b"\x00" * 6 + b"\x06\x20", b"\x2c\x00\x00\x00\x00\x00\x00\x00\x11\x00\x00\x08\x00\x00\x00\x01",
                  b"\x3c\x00" + b"\x01\x04\x00\x00\x00\x00" + b"\x3c\x00" * 40, b"\x33\x09" + b"\x00" * 10):
        corpus.append(ip6(0, chain + tcp()))
    corpus += [ip6(44, b"\x11\x00\x00\x09\x00\x00\x00\x02" + udp()), ip6(44, b"\x11\x00\x00\x01\x00\x00\x00\x03"), ip6(43, b"\x06\x02\x00\x01")]

if fam == "4":
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
else:
    # IPv6 raw sockets take the payload: the fixed header is the kernel's, the next header ours
    # through a socket of that protocol.
    socks = {}
sent = 0


def send(pkt):
    global sent
    try:
        if fam == "4":
            s.sendto(pkt, (dst, 0))
        else:
            nh, payload = pkt[6], pkt[40:]
            if nh not in socks:
                socks[nh] = socket.socket(socket.AF_INET6, socket.SOCK_RAW, nh)
                if nh == 58:
                    socks[nh].setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM if hasattr(socket, "IPV6_CHECKSUM") else 7, -1)
            socks[nh].sendto(payload, (dst, 0))
        sent += 1
    except OSError:
        pass


for p in corpus:
    send(p)
hdr = 20 if fam == "4" else 40
for _ in range(rounds):
    p = bytearray(random.choice(corpus))
    for _ in range(random.randint(1, 6)):
        if len(p) > hdr:
            i = random.randrange(hdr if fam == "6" else 9, len(p))
            if fam == "4" and i < 20 and i != 9:
                continue
            p[i] = random.randrange(256)
    if random.random() < 0.3 and len(p) > hdr + 1:
        p = p[: random.randrange(hdr + 1, len(p))]
        if fam == "4":
            p[2:4] = struct.pack("!H", len(p))
    send(bytes(p))
print(sent)
