#!/usr/bin/env python3
"""conn_load: issue 13's abuse mix against a real echelon-server.

Starts the server (or uses --port), then measures, first on a quiet server
and then with N idle connections (connect, send nothing, reconnect when cut)
and M slowloris connections (a request line, then one header byte every 2 s,
reconnect when cut) held open all the time:
  - GET /health latency (p50/p99 over --health-samples requests),
  - push latency of ~0.9 MB chunks (p50, over HTTP, one every --push-pause
    seconds, replay after replay for as long as /health is sampled, so that
    the 16 viewers are receiving all that time),
  - a new viewer's time to its first byte,
  - whether every viewer got every replay byte-exact (same SSE bytes per event).
Clients are spread over 127.0.0.x source addresses (the per-address cap is
256 by default), so the caps stay at their defaults.

  tools/conn_load/conn_load.py --server build/app/echelon-server --idle 2000 --slowloris 200 --viewers 16
Exit code 0 when issue 13's targets are met, 1 otherwise.
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "replays"


def source_address(i):
    return (f"127.0.{1 + i // 200}.{1 + i % 200}", 0)


def connect(port, i):
    sock = socket.socket()
    sock.bind(source_address(i))
    sock.connect(("127.0.0.1", port))
    return sock


def world_hash(world):
    text = json.dumps(world, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Abusers(threading.Thread):
    """Keeps `idle` silent and `slow` slowloris connections open."""

    def __init__(self, port, idle, slow):
        super().__init__(daemon=True)
        self.port, self.idle, self.slow = port, idle, slow
        self.selector = selectors.DefaultSelector()
        self.stop = threading.Event()
        self.reconnects = 0
        self.open = 0

    def open_one(self, index, kind):
        try:
            sock = connect(self.port, index)
        except OSError:
            return
        sock.setblocking(False)
        if kind == "slow":
            sock.send(b"GET /health HTTP/1.1\r\nHost: load\r\n")
        self.selector.register(sock, selectors.EVENT_READ, (index, kind))
        self.open += 1

    def run(self):
        for i in range(self.idle):
            self.open_one(i, "idle")
        for i in range(self.slow):
            self.open_one(self.idle + i, "slow")
        next_trickle = time.monotonic() + 2
        while not self.stop.is_set():
            for key, _ in self.selector.select(timeout=0.2):
                sock = key.fileobj
                try:
                    data = sock.recv(4096)
                except OSError:
                    data = b""
                if not data:  # cut by the server: come back, as an attacker would
                    self.selector.unregister(sock)
                    sock.close()
                    self.open -= 1
                    self.reconnects += 1
                    self.open_one(*key.data)
            if time.monotonic() >= next_trickle:
                next_trickle += 2
                for key in list(self.selector.get_map().values()):
                    if key.data[1] == "slow":
                        try:
                            key.fileobj.send(b"X")
                        except OSError:
                            pass
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()


class Viewer(threading.Thread):
    """Reads /events to the end of `replay_id`; keeps a digest per event."""

    def __init__(self, port, index, replay_id):
        super().__init__(daemon=True)
        self.port, self.index, self.replay_id = port, index, replay_id
        self.digests = []
        self.error = None
        self.connected = threading.Event()

    def run(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120,
                                              source_address=source_address(5000 + self.index))
            conn.request("GET", "/events?world=0")
            resp = conn.getresponse()
            self.connected.set()
            lines = []
            while True:
                line = resp.fp.readline()
                if not line:
                    raise RuntimeError("stream ended early")
                if line != b"\n":
                    lines.append(line)
                    continue
                block, lines = b"".join(lines), []
                if b"\nevent: replay_" not in b"\n" + block and not block.startswith(b"event: replay_"):
                    continue
                self.digests.append(hashlib.sha256(block).hexdigest())
                if b"event: replay_end" in block and f'"{self.replay_id}"'.encode() in block:
                    return
        except Exception as e:  # noqa: BLE001 - reported
            self.error = e
            self.connected.set()


def health_latencies(port, samples, interval=0.02):
    out = []
    for i in range(samples):
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=source_address(6000 + i % 50))
        conn.request("GET", "/health")
        conn.getresponse().read()
        conn.close()
        out.append(time.monotonic() - started)
        time.sleep(interval)
    return out


def first_byte(port):
    started = time.monotonic()
    with connect(port, 6500) as sock:
        sock.settimeout(30)
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: load\r\n\r\n")
        sock.recv(1)
    return time.monotonic() - started


def push_replay(conn, replay, replay_id, chunk_frames, pause):
    """Pushes one replay chunk by chunk, `pause` seconds apart (a trainer's pace); returns each push's time."""
    h = world_hash(replay["world"])
    frames = replay["frames"]
    count = (len(frames) + chunk_frames - 1) // chunk_frames
    latencies = []
    for i in range(count):
        chunk = {"replay_id": replay_id, "world_ref": h, "chunk_index": i, "chunk_count": count,
                 "frames": frames[i * chunk_frames:(i + 1) * chunk_frames]}
        body = json.dumps(chunk).encode()
        started = time.monotonic()
        conn.request("POST", "/push", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.monotonic() - started)
        if resp.status != 200:
            raise RuntimeError(f"push answered {resp.status}")
        time.sleep(pause)
    return latencies


def push_until(port, replay, replay_id, done, pause):
    """Pushes replays `<replay_id>-1`, `-2`, ... until `done` is set, then `<replay_id>-last`: the viewers
    receive for as long as /health is sampled, not only for the first few hundred milliseconds."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=source_address(6600))
    latencies, n = [], 0
    while not done.is_set():
        n += 1
        latencies += push_replay(conn, replay, f"{replay_id}-{n}", 100, pause)
    latencies += push_replay(conn, replay, f"{replay_id}-last", 100, pause)
    conn.close()
    return latencies, n + 1


def run_round(port, replay, replay_id, viewers, health_samples, pause):
    readers = [Viewer(port, i, f"{replay_id}-last") for i in range(viewers)]
    for r in readers:
        r.start()
    for r in readers:
        r.connected.wait(30)
    time.sleep(0.3)
    # In a process of its own: in this one the viewers' threads hold the GIL
    # for long stretches, and the probe would time them instead of the server.
    prober = concurrent.futures.ProcessPoolExecutor(max_workers=1)
    health_future = prober.submit(health_latencies, port, health_samples)
    health_done = threading.Event()
    health_future.add_done_callback(lambda _: health_done.set())
    fb = []  # a new viewer joins a second into the pushes, while the others receive
    fb_timer = threading.Timer(1.0, lambda: fb.append(first_byte(port)))
    fb_timer.start()
    pushes, replays = push_until(port, replay, replay_id, health_done, pause)
    health = health_future.result()
    prober.shutdown()
    fb_timer.join()
    for r in readers:
        r.join(timeout=120)
    reference = readers[0].digests
    exact = all(r.error is None and r.digests == reference for r in readers) and len(reference) > 2
    return {"health_p50_ms": 1000 * statistics.median(health), "health_p99_ms": 1000 * percentile(health, 99),
            "push_p50_ms": 1000 * statistics.median(pushes), "pushes": len(pushes), "replays": replays,
            "first_byte_ms": 1000 * fb[0] if fb else None, "viewers_exact": exact, "events": len(reference),
            "errors": [str(r.error) for r in readers if r.error]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="build/app/echelon-server")
    parser.add_argument("--port", type=int, default=0, help="use a running server instead of starting one")
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--slowloris", type=int, default=200)
    parser.add_argument("--viewers", type=int, default=16)
    parser.add_argument("--health-samples", type=int, default=200)
    parser.add_argument("--replay", default="w100x100x20_s4_p2")
    parser.add_argument("--push-pause", type=float, default=0.1,
                        help="seconds between a push's answer and the next chunk (a trainer's pace)")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    proc = None
    port = args.port
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = tempfile.NamedTemporaryFile(prefix="conn_load-", suffix=".log", delete=False)
        # A library of its own: replays pushed by an earlier run would make
        # this run's chunks duplicates (acknowledged, never broadcast).
        data_dir = tempfile.TemporaryDirectory(prefix="conn_load-data-")
        proc = subprocess.Popen([args.server, "--host", "127.0.0.1", "--port", str(port), "--grpc-port", "0",
                                 "--data-dir", data_dir.name], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                health_latencies(port, 1)
                break
            except OSError:
                time.sleep(0.05)
    try:
        replay = json.loads((FIXTURES / f"{args.replay}.replay.json").read_text())
        h = world_hash(replay["world"])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("PUT", f"/worlds/{h}", json.dumps(replay["world"]).encode(), {"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()

        run_id = uuid.uuid4().hex[:8]  # fresh replay ids, also against a --port server
        quiet = run_round(port, replay, f"quiet-{run_id}", args.viewers, args.health_samples, args.push_pause)
        abusers = Abusers(port, args.idle, args.slowloris)
        abusers.start()
        deadline = time.monotonic() + 60
        while abusers.open < args.idle + args.slowloris and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        loaded = run_round(port, replay, f"loaded-{run_id}", args.viewers, args.health_samples, args.push_pause)
        abusers.stop.set()
        abusers.join()
        ok = (loaded["health_p99_ms"] <= 50 and loaded["push_p50_ms"] <= 1.25 * quiet["push_p50_ms"] and
              loaded["first_byte_ms"] is not None and loaded["first_byte_ms"] <= 200 and loaded["viewers_exact"] and quiet["viewers_exact"])
        print(json.dumps({"idle": args.idle, "slowloris": args.slowloris, "viewers": args.viewers,
                          "abuser_reconnects": abusers.reconnects, "quiet": quiet, "loaded": loaded,
                          "targets_met": ok}, indent=2))
        return 0 if ok else 1
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=10)
            data_dir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
