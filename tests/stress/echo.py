# SPDX-License-Identifier: GPL-2.0
"""Established connections carrying data: echo.py server PORT | client DST PORT N SECONDS.

The client keeps N connections busy with 512-byte round trips for SECONDS and prints the round
trips done and the connections that failed."""
import socket
import sys
import threading
import time

if sys.argv[1] == "server":
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("", int(sys.argv[2])))
    srv.listen(64)

    def serve(c):
        while True:
            d = c.recv(4096)
            if not d:
                return
            c.sendall(d)

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

dst, port, n, secs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
done, failed = [0] * n, [0] * n


def client(i):
    try:
        c = socket.create_connection((dst, port), timeout=20)
        c.settimeout(20)
        end = time.monotonic() + secs
        msg = b"x" * 512
        while time.monotonic() < end:
            c.sendall(msg)
            got = 0
            while got < len(msg):
                d = c.recv(4096)
                if not d:
                    raise OSError("closed")
                got += len(d)
            done[i] += 1
        c.close()
    except OSError:
        failed[i] = 1


threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(done), sum(failed))
