#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw ctnetlink for the selftests: messages `conntrack` would never send, and captures.

  ctnl.py malformed          send malformed requests; print one line per request with the
                             error the kernel answered ("name errno"), "name none" if no
                             answer came, "name ok" for an acknowledgment
  ctnl.py capture FAMILY     dump the table and print each record as hex, one per line, its
                             identifier, timeout, use count and times made fixed
  ctnl.py events SECS        print the events heard in SECS seconds as capture prints records
  ctnl.py insert N           create N UDP connections 10.8.x.y:1000 -> 10.9.0.1:53
  ctnl.py unchroot CMD...    run CMD in a mount namespace whose root is the chroot the guest
                             runs in, so that it may make user namespaces (a chrooted process
                             may not)
  ctnl.py flood N            with a small receive buffer and NETLINK_BROADCAST_ERROR, join the
                             destroy group and sleep N seconds without reading; then print
                             "events K enobufs E", K the events read afterwards
"""

import errno
import os
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLM_F_CREATE, NLM_F_EXCL = 0x400, 0x200
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NETLINK_BROADCAST_ERROR = 270, 1, 4
CT_NEW, CT_GET, CT_DELETE, CT_GET_STATS_CPU = 0, 1, 2, 4
CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO = 1, 2, 3, 4
CTA_TIMEOUT, CTA_MARK, CTA_ZONE, CTA_FILTER, CTA_LABELS = 7, 8, 18, 25, 22
CTA_HELP, CTA_NAT_SRC = 5, 6


def attr(kind, payload, nested=False):
    kind |= NLA_F_NESTED if nested else 0
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def nest(kind, *attrs):
    return attr(kind, b"".join(attrs), nested=True)


def message(op, flags, family, body, seq, subsys=NFNL_SUBSYS_CTNETLINK, length=None):
    payload = struct.pack("=BBH", family, 0, 0) + body
    n = 16 + len(payload) if length is None else length
    return struct.pack("=IHHII", n, subsys << 8 | op, flags, seq, 0) + payload


def tuple_v4(src, dst, proto, sport, dport):
    return (
        nest(1, attr(1, socket.inet_aton(src)), attr(2, socket.inet_aton(dst))),
        nest(2, attr(1, bytes([proto])), attr(2, struct.pack("!H", sport)),
             attr(3, struct.pack("!H", dport))),
    )


def sock(groups=0):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, groups))
    s.settimeout(2)
    return s


def answers(s):
    """The messages of one read: (type, flags, errno or None, payload)."""
    data = s.recv(65536)
    out = []
    while len(data) >= 16:
        n, kind, flags, _seq, _pid = struct.unpack("=IHHII", data[:16])
        if n < 16:
            break
        err = None
        if kind == NLMSG_ERROR:
            err = -struct.unpack("=i", data[16:20])[0]
        out.append((kind, flags, err, data[:n]))
        data = data[(n + 3) & ~3:]
    return out


def malformed():
    good = tuple_v4("10.7.0.1", "10.7.0.2", 6, 1, 2)
    cases = {
        "short_nfgenmsg": struct.pack("=IHHII", 18, CT_GET, NLM_F_REQUEST | NLM_F_ACK, 1, 0) + b"\2\0",
        "unknown_op": message(20, NLM_F_REQUEST | NLM_F_ACK, 2, b"", 2),
        "attr_len_beyond_message": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2,
                                           struct.pack("=HH", 200, CTA_TUPLE_ORIG), 3),
        "attr_len_below_header": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2,
                                         struct.pack("=HH", 2, CTA_TUPLE_ORIG) + b"\0" * 8, 4),
        "status_too_short": message(CT_NEW, NLM_F_REQUEST | NLM_F_ACK, 2,
                                    attr(CTA_STATUS, b"\1"), 5),
        "get_without_tuple": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2, b"", 6),
        "tuple_without_proto": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2,
                                       nest(CTA_TUPLE_ORIG, good[0]), 7),
        "v4_address_too_short": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2,
                                        nest(CTA_TUPLE_ORIG, nest(1, attr(1, b"\1\2")), good[1]), 8),
        "unknown_family": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 7,
                                  nest(CTA_TUPLE_ORIG, *good), 9),
        "nesting_too_deep": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2,
                                    nest(CTA_TUPLE_ORIG, nest(1, nest(1, nest(1, nest(1, nest(
                                        1, nest(1, nest(1, nest(1, nest(1, nest(1, b""))))))))))),
                                    10),
        "filter_without_nested_flag": message(CT_GET, NLM_F_REQUEST | NLM_F_DUMP, 2,
                                              attr(CTA_FILTER, attr(1, struct.pack("=I", 1))), 11),
        "filter_unknown_flag": message(CT_GET, NLM_F_REQUEST | NLM_F_DUMP, 2,
                                       nest(CTA_FILTER, attr(1, struct.pack("=I", 1 << 20))), 12),
        "create_without_reply": message(CT_NEW, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 2,
                                        nest(CTA_TUPLE_ORIG, *good)
                                        + attr(CTA_TIMEOUT, struct.pack("!I", 5)), 13),
        "create_without_timeout": message(CT_NEW, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 2,
                                          nest(CTA_TUPLE_ORIG, *good)
                                          + nest(CTA_TUPLE_REPLY, *tuple_v4("10.7.0.2", "10.7.0.1",
                                                                           6, 2, 1)), 14),
        "create_with_protoinfo_state_out_of_range": message(
            CT_NEW, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 2,
            nest(CTA_TUPLE_ORIG, *good)
            + nest(CTA_TUPLE_REPLY, *tuple_v4("10.7.0.2", "10.7.0.1", 6, 2, 1))
            + attr(CTA_TIMEOUT, struct.pack("!I", 5))
            + nest(CTA_PROTOINFO, nest(1, attr(1, b"\x63"))), 15),
        "create_with_helper": message(
            CT_NEW, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 2,
            nest(CTA_TUPLE_ORIG, *good)
            + nest(CTA_TUPLE_REPLY, *tuple_v4("10.7.0.2", "10.7.0.1", 6, 2, 1))
            + attr(CTA_TIMEOUT, struct.pack("!I", 5)) + nest(CTA_HELP, attr(1, b"nosuchhelper\0")), 16),
        "helper_name_unterminated": message(
            CT_NEW, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 2,
            nest(CTA_TUPLE_ORIG, *good)
            + nest(CTA_TUPLE_REPLY, *tuple_v4("10.7.0.2", "10.7.0.1", 6, 2, 1))
            + attr(CTA_TIMEOUT, struct.pack("!I", 5)) + nest(CTA_HELP, attr(1, b"x" * 40)), 17),
        "labels_too_long": message(CT_NEW, NLM_F_REQUEST | NLM_F_ACK, 2,
                                   nest(CTA_TUPLE_ORIG, *good) + attr(CTA_LABELS, b"\0" * 40), 18),
        "zone_too_short": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2,
                                  nest(CTA_TUPLE_ORIG, *good) + attr(CTA_ZONE, b"\1"), 19),
        "nat_range_truncated": message(
            CT_NEW, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 2,
            nest(CTA_TUPLE_ORIG, *good)
            + nest(CTA_TUPLE_REPLY, *tuple_v4("10.7.0.2", "10.7.0.1", 6, 2, 1))
            + attr(CTA_TIMEOUT, struct.pack("!I", 5)) + nest(CTA_NAT_SRC, attr(1, b"\1")), 20),
        "trailing_garbage": message(CT_GET, NLM_F_REQUEST | NLM_F_ACK, 2,
                                    nest(CTA_TUPLE_ORIG, *good) + b"\xff\xff\xff", 21),
    }
    s = sock()
    for name, msg in cases.items():
        s.send(msg)
        try:
            got = answers(s)
        except socket.timeout:
            print(name, "none")
            continue
        err = next((e for k, _f, e, _p in got if k == NLMSG_ERROR), None)
        if err is None:
            print(name, "answer")
        elif err == 0:
            print(name, "ok")
        else:
            print(name, errno.errorcode.get(err, str(err)))


CTA_USE, CTA_ID, CTA_TIMESTAMP = 11, 12, 20


def fixed(msg):
    """`msg` with the fields that differ from run to run set to fixed values: the port and
    sequence number of the header, identifier, timeout, use count, start and stop times."""
    head, body = bytearray(msg[:20]), msg[20:]
    seq, port = struct.unpack("=II", head[8:16])
    head[8:16] = struct.pack("=II", 0x10 if seq else 0, 0x1000 if port else 0)
    out = b""
    while len(body) >= 4:
        n, kind = struct.unpack("=HH", body[:4])
        payload = body[4:n]
        k = kind & 0x3fff
        if k == CTA_ID:
            payload = struct.pack("=I", 0x01020304)
        elif k == CTA_TIMEOUT:
            payload = struct.pack("!I", 100)
        elif k == CTA_USE:
            payload = struct.pack("!I", 1)
        elif k == CTA_TIMESTAMP:
            payload = b"".join(
                struct.pack("=HH", 12, t) + struct.pack("!Q", 0x1000000000 * t)
                for t in (1, 2) if any(struct.unpack("=HH", payload[i:i + 4])[1] == t
                                       for i in range(0, len(payload), 12)))
        attr_bytes = struct.pack("=HH", 4 + len(payload), kind) + payload
        out += attr_bytes + b"\0" * (-len(attr_bytes) % 4)
        body = body[(n + 3) & ~3:]
    head[0:4] = struct.pack("=I", 20 + len(out))
    return bytes(head) + out


def capture(family):
    s = sock()
    s.send(message(CT_GET, NLM_F_REQUEST | NLM_F_DUMP, int(family), b"", 1))
    while True:
        for kind, _flags, _err, msg in answers(s):
            if kind in (NLMSG_DONE, NLMSG_ERROR):
                return
            print(fixed(msg).hex())


def events(seconds):
    s = sock(groups=0b111)
    end = time.time() + float(seconds)
    while time.time() < end:
        try:
            for _kind, _flags, _err, msg in answers(s):
                print(fixed(msg).hex(), flush=True)
        except socket.timeout:
            pass


def insert(count):
    s = sock()
    s.settimeout(10)
    for i in range(int(count)):
        src = "10.8.%d.%d" % (i // 250, i % 250 + 1)
        body = (nest(CTA_TUPLE_ORIG, *tuple_v4(src, "10.9.0.1", 17, 1000, 53))
                + nest(CTA_TUPLE_REPLY, *tuple_v4("10.9.0.1", src, 17, 53, 1000))
                + attr(CTA_TIMEOUT, struct.pack("!I", 600)))
        s.send(message(CT_NEW, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 2, body, i + 1))
        for kind, _flags, err, _msg in answers(s):
            if kind == NLMSG_ERROR and err:
                print("insert", i, errno.errorcode.get(err, str(err)))
                return


def flood(seconds):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(SOL_NETLINK, NETLINK_BROADCAST_ERROR, 1)
    s.bind((0, 0))
    s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, 3)
    print("ready", flush=True)
    time.sleep(float(seconds))
    s.settimeout(3)
    events = enobufs = 0
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            events += len(answers(s))
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                enobufs += 1
                continue
            break
    print("events", events, "enobufs", enobufs)


def unchroot(*cmd):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNS, MS_MOVE, MS_REC, MS_PRIVATE = 0x20000, 8192, 16384, 1 << 18

    def check(rc, what):
        if rc != 0:
            raise OSError(ctypes.get_errno(), what)

    check(libc.unshare(CLONE_NEWNS), "unshare")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private")
    # Out of the chroot, to the namespace's own root...
    top = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    os.makedirs("/tmp/unchroot", exist_ok=True)
    os.chroot("/tmp/unchroot")
    os.fchdir(top)
    for _ in range(64):
        os.chdir("..")
    os.chroot(".")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "private root")
    # ...then the chroot's tree put over it, as switch_root does.
    os.chdir("/root")
    check(libc.mount(b".", b"/", None, MS_MOVE, None), "move")
    os.chroot(".")
    os.chdir("/")
    os.execvp(cmd[0], list(cmd))


if __name__ == "__main__":
    {"malformed": malformed, "capture": capture, "events": events, "insert": insert,
     "flood": flood,
     "unchroot": unchroot}[sys.argv[1]](*sys.argv[2:])
