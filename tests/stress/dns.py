# SPDX-License-Identifier: GPL-2.0
"""The resolver's race: dns.py server PORT | client DST PORT SECONDS.

The client opens a fresh socket for each query pair and sends both queries at once from two
threads, as glibc sends A and AAAA lookups: two first packets of one connection on two CPUs,
whose entries clash at confirmation. Prints pairs sent and answers lost."""
import socket
import sys
import threading
import time

if sys.argv[1] == "server":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", int(sys.argv[2])))
    while True:
        d, a = s.recvfrom(512)
        s.sendto(d, a)

dst, port, secs = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
pairs = lost = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, port))
    s.settimeout(2)
    go = threading.Barrier(2)

    def ask(q):
        go.wait()
        s.send(q)

    ts = [threading.Thread(target=ask, args=(q,)) for q in (b"A", b"AAAA")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    got = 0
    try:
        while got < 2:
            s.recv(512)
            got += 1
    except OSError:
        pass
    pairs += 1
    lost += 2 - got
    s.close()
print(pairs, lost)
