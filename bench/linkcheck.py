#!/usr/bin/env python3
"""Measures the benchmark's emulated link (bench/relay): round-trip time of a
small ping-pong and bulk throughput each way, through the relay and, for
comparison, straight to the same loopback server.

    bench/linkcheck.py RELAY_BINARY LINK [LINK...]     e.g. 1ms/1gbit 20ms/100mbit

Prints a markdown table. The relay runs in front of a small server started
here: the first byte of a connection picks ping-pong (P), upload (U: the
server counts bytes until EOF) or download (D: the server sends a given
number of bytes).
"""

import socket
import statistics
import subprocess
import sys
import threading
import time

BLOCK = b"x" * (1 << 20)


def serve(listener):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        part = conn.recv(n - len(buf))
        if not part:
            raise EOFError
        buf += part
    return buf


def handle(conn):
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        try:
            mode = recv_exact(conn, 1)
        except EOFError:  # the readiness probe
            return
        if mode == b"P":
            while True:
                try:
                    conn.sendall(recv_exact(conn, 64))
                except EOFError:
                    return
        elif mode == b"U":
            total = 0
            while True:
                part = conn.recv(1 << 20)
                if not part:
                    break
                total += len(part)
            conn.sendall(str(total).encode())
        elif mode == b"D":
            left = int(recv_exact(conn, 12))
            while left > 0:
                n = min(left, len(BLOCK))
                conn.sendall(BLOCK[:n])
                left -= n


def connect(port, mode):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(mode)
    return s


def ping(port, rounds=200):
    s = connect(port, b"P")
    msg = b"p" * 64
    s.sendall(msg)
    recv_exact(s, 64)  # the first one pays the connection's setup
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        s.sendall(msg)
        recv_exact(s, 64)
        times.append(time.perf_counter() - t0)
    s.close()
    return statistics.median(times) * 1e3, max(times) * 1e3


def upload(port, nbytes):
    s = connect(port, b"U")
    t0 = time.perf_counter()
    left = nbytes
    while left > 0:
        n = min(left, len(BLOCK))
        s.sendall(BLOCK[:n])
        left -= n
    s.shutdown(socket.SHUT_WR)
    got = int(s.recv(64))
    secs = time.perf_counter() - t0
    s.close()
    assert got == nbytes, (got, nbytes)
    return nbytes * 8 / secs / 1e6


def download(port, nbytes):
    s = connect(port, b"D")
    s.sendall(b"%012d" % nbytes)
    t0 = time.perf_counter()
    got = 0
    while got < nbytes:
        part = s.recv(1 << 20)
        if not part:
            break
        got += len(part)
    secs = time.perf_counter() - t0
    s.close()
    assert got == nbytes, (got, nbytes)
    return nbytes * 8 / secs / 1e6


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def measure(port, mbit):
    # about 2 s of traffic at the link's rate, at least 20 MB
    nbytes = max(20 << 20, int(mbit * 1e6 / 8 * 2))
    rtt, worst = ping(port)
    return rtt, worst, upload(port, nbytes), download(port, nbytes)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    relay, links = sys.argv[1], sys.argv[2:]
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    server = listener.getsockname()[1]

    print("| path | ping-pong RTT median ms (max) | upload Mbit/s | download Mbit/s |")
    print("| --- | ---: | ---: | ---: |")
    rtt, worst, up, down = measure(server, 1000)
    print("| loopback, no relay | %.3f (%.3f) | %.0f | %.0f |" % (rtt, worst, up, down))
    for link in links:
        port = free_port()
        proc = subprocess.Popen([relay, "--listen", "127.0.0.1:%d" % port,
                                 "--to", "127.0.0.1:%d" % server, "--link", link],
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.05)
            rate = link.split("/")[1].lower()
            mbit = float(rate[:-4]) * (1000 if rate.endswith("gbit") else 1 if rate.endswith("mbit") else 0.001)
            rtt, worst, up, down = measure(port, mbit)
            print("| relay %s | %.3f (%.3f) | %.0f | %.0f |" % (link, rtt, worst, up, down))
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
