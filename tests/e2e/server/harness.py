"""Test harness: run the real echelon-server on free loopback ports, read its
SSE stream, push replays over HTTP. Shared by the integration tests."""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DEFAULT_BIN = Path(__file__).resolve().parents[3] / "build" / "app" / "echelon-server"


def server_binary() -> str:
    return os.environ.get("ECHELON_SERVER_BIN", str(DEFAULT_BIN))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=10.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


def world_hash(world) -> str:
    text = json.dumps(world, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_replay(name="w40x40x20_s3"):
    return json.loads((FIXTURES / "replays" / f"{name}.replay.json").read_text())


class Server:
    """echelon-server on 127.0.0.1 with free ports; stop() always reaps it."""

    def __init__(self, *extra_args, env=None, http_port=None, grpc_port=None, data_dir=None):
        self.http_port = http_port or free_port()
        self.grpc_port = grpc_port or free_port()
        # Each server gets its own library (removed when it stops) unless the
        # test passes a data_dir it owns itself, or the library is off.
        self.owned_data_dir = None
        if data_dir is None and "--no-library" not in extra_args and "--data-dir" not in extra_args:
            import tempfile
            data_dir = self.owned_data_dir = tempfile.mkdtemp(prefix="echelon-data-")
        self.data_dir = data_dir
        library_args = ["--data-dir", str(data_dir)] if data_dir is not None else []
        self.args = [server_binary(), "--host", "127.0.0.1", "--port", str(self.http_port),
                     "--grpc-port", str(self.grpc_port), *library_args, *extra_args]
        self.env = {**os.environ, **(env or {})}
        self.proc = None
        self.log_path = None

    def start(self):
        import tempfile
        self.log = tempfile.NamedTemporaryFile(prefix="echelon-server-", suffix=".log", delete=False)
        self.log_path = self.log.name
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        wait_for(self._healthy, timeout=15, what="server /health")
        return self

    def _healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited with {self.proc.returncode}: {self.logs()}")
        try:
            status, _, _ = self.request("GET", "/health", timeout=1)
            return status == 200
        except OSError:
            return False

    def logs(self) -> str:
        return Path(self.log_path).read_text(errors="replace") if self.log_path else ""

    def stop(self, sig=signal.SIGTERM, timeout=5.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):
            self.stop()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.owned_data_dir:
            import shutil
            shutil.rmtree(self.owned_data_dir, ignore_errors=True)

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, dict(resp.getheaders()), data
        finally:
            conn.close()

    def json_request(self, method, path, body=None, headers=None):
        status, headers_out, data = self.request(method, path, body, headers)
        return status, (json.loads(data) if data else None)

    def health(self):
        return self.json_request("GET", "/health")[1]

    def put_world(self, world, gzipped=True):
        h = world_hash(world)
        body = json.dumps(world).encode()
        headers = {"Content-Type": "application/json"}
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return h, self.json_request("PUT", f"/worlds/{h}", body, headers)

    def push_replay_http(self, replay, replay_id, chunk_frames=100, meta=None, run=None):
        h = world_hash(replay["world"])
        frames = replay["frames"]
        count = (len(frames) + chunk_frames - 1) // chunk_frames
        answers = []
        for i in range(count):
            chunk = {"replay_id": replay_id, "world_ref": h, "chunk_index": i, "chunk_count": count,
                     "frames": frames[i * chunk_frames:(i + 1) * chunk_frames]}
            if i == 0:
                chunk["meta"] = meta if meta is not None else {"episode": 42, "update": 100}
                if run is not None:
                    chunk["run"] = run
            answers.append(self.json_request("POST", "/push", chunk))
        return answers


class SseReader(threading.Thread):
    """Reads GET /events in a thread, collecting (id, event, data) until
    `until(event, data)` is true or the stream ends."""

    def __init__(self, port, path="/events", headers=None, until=None, read_delay=0.0, raw=False):
        super().__init__(daemon=True)
        self.port, self.path, self.headers = port, path, headers or {}
        self.until = until
        self.events = []
        self.comments = []
        self.status = None
        self.error = None
        self.connected = threading.Event()
        self.done = threading.Event()
        self.read_delay = read_delay
        # raw: keep data as text (no JSON parsing while reading, to keep up
        # with fast streams); `until` then gets the text too.
        self.raw = raw
        self.conn = None

    def run(self):
        try:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request("GET", self.path, headers=self.headers)
            resp = self.conn.getresponse()
            self.status = resp.status
            self.connected.set()
            if resp.status != 200:
                self.body = resp.read()
                return
            event = {}
            while True:
                line = resp.fp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line == "":
                    if "data" in event:
                        data = event["data"] if self.raw else json.loads(event["data"])
                        item = (int(event["id"]) if "id" in event else None, event.get("event", "message"), data)
                        self.events.append(item)
                        if self.until and self.until(item[1], item[2]):
                            break
                    event = {}
                    continue
                if line.startswith(":"):
                    self.comments.append(line)
                    continue
                key, _, value = line.partition(":")
                event[key] = value[1:] if value.startswith(" ") else value
                if self.read_delay:
                    time.sleep(self.read_delay)
        except Exception as e:  # noqa: BLE001 - reported to the test
            self.error = e
        finally:
            self.connected.set()
            self.done.set()
            with contextlib.suppress(Exception):
                self.conn.close()

    def close(self):
        with contextlib.suppress(Exception):
            self.conn.sock.shutdown(socket.SHUT_RDWR)

    def of_type(self, kind):
        return [data for _, event, data in self.events if event == kind]


def ends(replay_id):
    def ended(event, data):
        if event != "replay_end":
            return False
        return (json.loads(data) if isinstance(data, str) else data).get("replay_id") == replay_id
    return ended
