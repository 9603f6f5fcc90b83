#!/usr/bin/env python3
"""bench_library: the replay library's numbers (issue 14, docs/benchmarks.md).

Fills a library with N replays (one replay made by tools/replay_gen, pushed N
times under different ids over HTTP), then restarts the server on it and
measures: startup time (exec to /health answering), idle RSS against an
empty library, GET /replays latency, and the download rate of one stored
replay of --big-mb from the page cache.

    tools/bench_library/bench_library.py --server-bin build/app/echelon-server \
        --replay-gen build/tools/replay_gen/replay_gen --replays 2000 --replay-mb 2.6 --big-mb 50
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Server:
    def __init__(self, binary, data_dir):
        self.port = free_port()
        self.args = [binary, "--host", "127.0.0.1", "--port", str(self.port), "--grpc-port", "0",
                     "--data-dir", data_dir, "--log-level", "warn", "--library-max-gb", "1000"]

    def start(self):
        started = time.monotonic()
        self.proc = subprocess.Popen(self.args)
        while True:
            try:
                if self.request("GET", "/health", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.005)
            if self.proc.poll() is not None:
                raise RuntimeError("server exited")
        self.startup_s = time.monotonic() - started
        return self

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def request(self, method, path, body=None, headers=None, timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def world_hash(world):
    import hashlib
    return hashlib.sha256(json.dumps(world, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def chunk_bodies(replay, chunk_frames):
    """Each chunk's push body with a placeholder id, encoded once."""
    h = world_hash(replay["world"])
    frames = replay["frames"]
    count = (len(frames) + chunk_frames - 1) // chunk_frames
    bodies = []
    for i in range(count):
        body = {"replay_id": "@ID@", "world_ref": h, "chunk_index": i, "chunk_count": count,
                "frames": frames[i * chunk_frames:(i + 1) * chunk_frames]}
        if i == 0:
            body["meta"] = {"update": 1}
            body["run"] = {"name": "bench"}
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return h, bodies


def push(server, bodies, replay_id):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        for body in bodies:
            conn.request("POST", "/push", body=body.replace(b"@ID@", replay_id.encode(), 1),
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"push {replay_id}: HTTP {resp.status}")
    finally:
        conn.close()


def make_replay(replay_gen, mb, seed):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    subprocess.run([replay_gen, "--seed", str(seed), "--target-mb", str(mb), "--out", path], check=True,
                   stdout=subprocess.DEVNULL)
    with open(path) as f:
        replay = json.load(f)
    os.remove(path)
    return replay


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server-bin", required=True)
    p.add_argument("--replay-gen", required=True)
    p.add_argument("--replays", type=int, default=2000)
    p.add_argument("--replay-mb", type=float, default=2.6)
    p.add_argument("--big-mb", type=float, default=50)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", help="keep the library here (default: a temporary folder, removed)")
    o = p.parse_args()

    data_dir = o.data_dir or tempfile.mkdtemp(prefix="bench-library-")
    try:
        empty_dir = tempfile.mkdtemp(prefix="bench-library-empty-")
        empty = Server(o.server_bin, empty_dir).start()
        time.sleep(2)
        empty_rss = rss_mb(empty.proc.pid)
        empty.stop()
        shutil.rmtree(empty_dir)

        replay = make_replay(o.replay_gen, o.replay_mb, 1)
        big = make_replay(o.replay_gen, o.big_mb, 2)
        server = Server(o.server_bin, data_dir).start()
        world = json.dumps(replay["world"]).encode()
        server.request("PUT", f"/worlds/{world_hash(replay['world'])}", world)
        server.request("PUT", f"/worlds/{world_hash(big['world'])}", json.dumps(big["world"]).encode())
        _, bodies = chunk_bodies(replay, 100)
        per_replay = sum(len(b) for b in bodies)
        started = time.monotonic()
        ids = iter(range(o.replays))
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    n = next(ids, None)
                if n is None:
                    return
                push(server, bodies, f"bench-{n:05d}")

        threads = [threading.Thread(target=worker) for _ in range(o.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        fill_s = time.monotonic() - started
        _, big_bodies = chunk_bodies(big, 100)
        push(server, big_bodies, "big")
        server.stop()
        on_disk = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(data_dir) for f in fs)

        server = Server(o.server_bin, data_dir).start()
        startup_s = server.startup_s
        time.sleep(2)
        idle_rss = rss_mb(server.proc.pid)
        latencies = []
        for _ in range(30):
            t = time.monotonic()
            status, body = server.request("GET", "/replays")
            latencies.append((time.monotonic() - t) * 1000)
            assert status == 200 and len(json.loads(body)["replays"]) == 50
        status, doc = server.request("GET", "/replays/big")  # warms the page cache
        assert status == 200
        assert json.loads(doc)["frames"] == big["frames"]
        # curl reads the chunked body at socket speed (Python's http.client
        # would be the bottleneck); bytes/seconds as curl measures them.
        rates = []
        for _ in range(10):
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}",
                                  f"http://127.0.0.1:{server.port}/replays/big"],
                                 capture_output=True, text=True, check=True).stdout.split()
            rates.append(int(out[0]) / 1e6 / float(out[1]))
        after_rss = rss_mb(server.proc.pid)
        server.stop()
        print(json.dumps({
            "replays": o.replays + 1, "pushed_mb": round((per_replay * o.replays) / 1e6),
            "library_on_disk_mb": round(on_disk / 1e6), "fill_s": round(fill_s, 1),
            "fill_mb_per_s": round(per_replay * o.replays / 1e6 / fill_s, 1),
            "startup_s": round(startup_s, 3), "rss_empty_mb": round(empty_rss, 1),
            "rss_idle_full_mb": round(idle_rss, 1), "rss_after_reads_mb": round(after_rss, 1),
            "list_ms_p50": round(statistics.median(latencies), 2), "list_ms_max": round(max(latencies), 2),
            "big_replay_mb": round(len(doc) / 1e6, 1), "download_mb_per_s_median": round(statistics.median(rates)),
            "download_mb_per_s_all": [round(r) for r in rates],
        }, indent=1))
    finally:
        if not o.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
