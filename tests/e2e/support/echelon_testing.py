"""The one server launcher and the one SSE reader of the Python end-to-end
tests (tests/e2e/server and tests/e2e/python_clients), plus the small helpers
both suites need.

    with Server("--retention-mb", "4") as server:          # free loopback ports
        reader = SseReader(server.http_port, until=ends("r1")).start()
        reader.wait_connected()
        server.push_replay_http(load_replay(), "r1")
        reader.join(timeout=30)
        assert reader.of_type("replay_end")

Server runs the real echelon-server binary ($ECHELON_SERVER_BIN, default
build/app/echelon-server) on 127.0.0.1, ready once GET /health answers; stop()
(SIGTERM), kill() (SIGKILL, a crash) and restart() (same ports, empty state);
the context manager always reaps it. SseReader reads GET /events on its own
thread as EventSource does (id:/event:/data: lines, one event per blank line,
comments kept apart) and can reconnect with Last-Event-ID.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
DEFAULT_BIN = REPO / "build" / "app" / "echelon-server"


def server_binary() -> str:
    return os.environ.get("ECHELON_SERVER_BIN", str(DEFAULT_BIN))


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=20.0, interval=0.01, what="condition"):
    """Polls ``condition`` until it returns a true value (which is returned)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)


def world_hash(world) -> str:
    """PROTOCOL.md's world hash of a parsed world."""
    text = json.dumps(world, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_replay(name="w40x40x20_s3"):
    return json.loads((FIXTURES / "replays" / f"{name}.replay.json").read_text())


class Server:
    """echelon-server on 127.0.0.1 with free ports (or the given ones)."""

    def __init__(self, *extra_args, env=None, http_port=None, grpc_port=None, data_dir=None):
        self.http_port = http_port or free_port()
        self.grpc_port = grpc_port or free_port()
        # Each server gets its own replay library, kept across kill()/start()
        # (a restart) and removed with the Server, unless the test passes a
        # data_dir it owns itself or turns the library off.
        self._owned_data_dir = None
        if data_dir is None and "--no-library" not in extra_args and "--data-dir" not in extra_args:
            self._owned_data_dir = tempfile.TemporaryDirectory(prefix="echelon-data-")
            data_dir = self._owned_data_dir.name
        self.data_dir = data_dir
        library_args = ["--data-dir", str(data_dir)] if data_dir is not None else []
        self.args = [server_binary(), "--host", "127.0.0.1", "--port", str(self.http_port),
                     "--grpc-port", str(self.grpc_port), *library_args, *extra_args]
        self.env = {**os.environ, **(env or {})}
        self.proc = None
        # One log across restarts; removed when the Server is collected.
        self.log = tempfile.NamedTemporaryFile(prefix="echelon-server-", suffix=".log")
        self.log_path = self.log.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self):
        """Starts the server (again, on the same ports) and waits until it is healthy."""
        self.kill()
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        wait_for(self._healthy, timeout=20, what="server /health")
        return self

    def restart(self):
        return self.start()

    def _healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"echelon-server exited with {self.proc.returncode}:\n{self.logs()}")
        try:
            status, _, body = self.request("GET", "/health", timeout=1)
            return status == 200 and json.loads(body).get("status") == "ok"
        except (OSError, ValueError):
            return False

    def logs(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=5.0) -> int:
        """Sends `sig` and reaps the server; its exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill(self):
        """A crash: SIGKILL, then reap."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        with contextlib.suppress(Exception):
            self.stop()
        self.kill()

    def connection(self, timeout=30) -> http.client.HTTPConnection:
        """A connection to the HTTP port (a TLS server's subclass makes it HTTPS)."""
        return http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = self.connection(timeout)
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
        status, _, data = self.request(method, path, body, headers)
        return status, (json.loads(data) if data else None)

    def health(self):
        return self.json_request("GET", "/health")[1]

    def metric(self, name, labels=""):
        """The value of one /metrics sample, e.g. metric("x_total", '{reason="y"}')."""
        _, _, body = self.request("GET", "/metrics")
        match = re.search(rf"^{re.escape(name + labels)} (\S+)$", body.decode(), re.M)
        assert match, f"no metric {name}{labels}"
        return float(match.group(1))

    def put_world(self, world, gzipped=True):
        h = world_hash(world)
        body = json.dumps(world).encode()
        headers = {"Content-Type": "application/json"}
        if gzipped:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return h, self.json_request("PUT", f"/worlds/{h}", body, headers)

    def push_replay_http(self, replay, replay_id, chunk_frames=100, meta=None, run=None):
        """POSTs the replay's chunks (the world must be stored); the answers."""
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
    """Reads GET /events on a thread like a viewer. Keeps ``events`` as
    (id or None, type, data) with data parsed as JSON (text with ``raw``) and
    ``comments``; stops when ``until(type, data)`` is true or the stream ends,
    unless ``reconnect``: then it connects again, sending Last-Event-ID as
    EventSource does, until close(). ``read_delay`` seconds per line make a
    slow viewer. ``status``/``body`` hold the last answer that was not 200."""

    def __init__(self, port, path="/events", headers=None, until=None, read_delay=0.0, raw=False,
                 reconnect=False, connect=None):
        super().__init__(daemon=True)
        # connect(): the connection to read from (default: plain HTTP to port).
        self.connect = connect or (lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=60))
        self.port, self.path, self.headers = port, path, dict(headers or {})
        self.until = until
        self.read_delay = read_delay
        # raw: keep data as text (no JSON parsing while reading, to keep up
        # with fast streams); `until` then gets the text too.
        self.raw = raw
        self.reconnect = reconnect
        self.events = []
        self.comments = []
        self.status = None
        self.body = None
        self.error = None
        self.connections = 0  # answers with 200
        self.connected = threading.Event()  # the first answer (or failure) is in
        self.done = threading.Event()  # the reader has stopped for good
        self.conn = None
        self._cond = threading.Condition()
        self._closing = False
        self._last_id = None

    def start(self):
        super().start()
        return self

    def wait_connected(self, timeout=30.0):
        """Waits for the first 200 answer; returns self."""
        return self.wait(lambda r: r.connections >= 1, timeout=timeout, what="SSE connection")

    def wait(self, predicate, timeout=30.0, what="SSE condition"):
        """Waits until ``predicate(self)`` holds (checked on every event); returns self."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout=timeout):
                raise TimeoutError(f"timed out waiting for {what}; got {self.summary()}")
        return self

    def close(self):
        with self._cond:
            self._closing = True
            conn = self.conn
        with contextlib.suppress(Exception):
            conn.sock.shutdown(socket.SHUT_RDWR)  # unblocks the reading thread
        if self.is_alive():
            self.join(timeout=10)

    # Views over what arrived -------------------------------------------------

    def of_type(self, kind):
        return [data for _, event, data in self.events if event == kind]

    def of_replay(self, replay_id, kind=None):
        return [(i, t, d) for i, t, d in self.events
                if d.get("replay_id") == replay_id and (kind is None or t == kind)]

    def chunk_counts(self, replay_id):
        counts = defaultdict(int)
        for _, _, data in self.of_replay(replay_id, "replay_chunk"):
            counts[data["chunk_index"]] += 1
        return dict(counts)

    def frames(self, replay_id):
        chunks = {d["chunk_index"]: d["frames"] for _, _, d in self.of_replay(replay_id, "replay_chunk")}
        return [frame for index in sorted(chunks) for frame in chunks[index]]

    def ended(self, replay_id):
        return bool(self.of_replay(replay_id, "replay_end"))

    def summary(self):
        return [(t, d.get("replay_id"), d.get("chunk_index")) if isinstance(d, dict) else (t, d[:40])
                for _, t, d in self.events]

    # The reading thread --------------------------------------------------------

    def run(self):
        try:
            while True:
                try:
                    if self._read_stream():
                        return  # `until` is satisfied
                except OSError as e:
                    self.error = e  # refused while the server restarts, or reset when it died
                with self._cond:
                    if self._closing or not self.reconnect:
                        return
                time.sleep(0.02)  # reconnect pacing (EventSource waits too)
        except Exception as e:  # noqa: BLE001 - reported to the test
            self.error = e
        finally:
            self.connected.set()
            self.done.set()
            with self._cond:
                self._cond.notify_all()

    def _read_stream(self):
        """One connection; True when `until` was satisfied."""
        conn = self.connect()
        headers = dict(self.headers)
        if self._last_id is not None:
            headers["Last-Event-ID"] = str(self._last_id)
        with self._cond:
            if self._closing:
                return True
            self.conn = conn
        try:
            conn.request("GET", self.path, headers=headers)
            resp = conn.getresponse()
            self.status = resp.status
            if resp.status != 200:
                self.body = resp.read()
                self.connected.set()
                return False
            with self._cond:
                self.connections += 1
                self._cond.notify_all()
            self.connected.set()
            fields = {}
            while True:
                line = resp.fp.readline()
                if not line:
                    return False
                line = line.decode("utf-8").rstrip("\r\n")
                if line == "":
                    if self._dispatch(fields):
                        return True
                    fields = {}
                elif line.startswith(":"):
                    self.comments.append(line)
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    fields[name] = fields[name] + "\n" + value if name in fields else value
                if self.read_delay:
                    time.sleep(self.read_delay)
        finally:
            conn.close()

    def _dispatch(self, fields):
        """Records one event; True when `until` says to stop."""
        if "data" not in fields:
            return False
        data = fields["data"] if self.raw else json.loads(fields["data"])
        item = (int(fields["id"]) if "id" in fields else None, fields.get("event", "message"), data)
        with self._cond:
            if item[0] is not None:
                self._last_id = item[0]
            self.events.append(item)
            self._cond.notify_all()
        return bool(self.until and self.until(item[1], item[2]))


def ends(replay_id):
    """An SseReader `until` that stops at the replay_end of `replay_id`."""
    def ended(event, data):
        if event != "replay_end":
            return False
        return (json.loads(data) if isinstance(data, str) else data).get("replay_id") == replay_id
    return ended
