"""Fixtures for the Python client tests: the real echelon-server on free
loopback ports (binary from $ECHELON_SERVER_BIN, default build/server/
echelon-server), readiness by polling GET /health, always killed; an SSE reader
of GET /events (http.client) that can reconnect across a server restart."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
# The package works from a source checkout without installing it.
sys.path.insert(0, str(REPO / "clients" / "python"))

SERVER_BIN = os.environ.get("ECHELON_SERVER_BIN", str(REPO / "build" / "server" / "echelon-server"))


def wait_for(condition, timeout=20.0, what="condition"):
    """Polls ``condition`` until it returns a true value (which is returned)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_replay(name="w100x100x20_s4_p2"):
    return json.loads((FIXTURES / "replays" / f"{name}.replay.json").read_text())


class ServerProcess:
    """echelon-server on 127.0.0.1; start() again after kill() reuses the ports."""

    def __init__(self, *extra_args):
        self.http_port = free_port()
        self.grpc_port = free_port()
        self.extra_args = list(extra_args)
        self.proc = None
        self.log = tempfile.NamedTemporaryFile(prefix="echelon-server-", suffix=".log")
        # Its own replay library, kept across kill()/start() (a restart), gone with the object.
        self.data_dir = tempfile.TemporaryDirectory(prefix="echelon-data-")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self):
        return f"127.0.0.1:{self.grpc_port}"

    def start(self):
        self.kill()
        args = [SERVER_BIN, "--host", "127.0.0.1", "--port", str(self.http_port),
                "--grpc-port", str(self.grpc_port), "--log-level", "warn", "--data-dir", self.data_dir.name,
                *self.extra_args]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self._healthy, what="server /health")
        return self

    def _healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"echelon-server exited with {self.proc.returncode}:\n{self.logs()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=1)
            conn.request("GET", "/health")
            response = conn.getresponse()
            body = response.read()
            conn.close()
            return response.status == 200 and json.loads(body).get("status") == "ok"
        except OSError:
            return False

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def logs(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()


@pytest.fixture
def server_factory():
    """Starts servers with extra flags; every one is killed at the end."""
    if not os.path.exists(SERVER_BIN):
        pytest.skip(f"no echelon-server at {SERVER_BIN} (set ECHELON_SERVER_BIN)")
    started = []

    def start(*extra_args):
        server = ServerProcess(*extra_args)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()
        server.data_dir.cleanup()


@pytest.fixture
def server(server_factory):
    return server_factory()


class SseReader:
    """Reads GET /events on a thread like a viewer: ``id:/event:/data:`` lines,
    one event per blank line, ``:`` comments ignored. With ``reconnect`` it
    connects again (sending Last-Event-ID, as EventSource does) when the
    stream breaks, e.g. because the server was killed."""

    def __init__(self, port, reconnect=False):
        self.port = port
        self.reconnect = reconnect
        self.events = []  # (id, type, data)
        self.connections = 0
        self._cond = threading.Condition()
        self._stop = False
        self._conn = None
        self._last_id = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        self.wait(lambda r: r.connections >= 1, what="SSE connection")
        return self

    def close(self):
        with self._cond:
            self._stop = True
            conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)  # unblocks the reading thread
            except OSError:
                pass
        self._thread.join(timeout=10)

    def wait(self, predicate, timeout=30.0, what="SSE condition"):
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout=timeout):
                raise TimeoutError(f"timed out waiting for {what}; got {self.summary()}")

    # Views over what arrived -------------------------------------------------

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
        return [(t, d.get("replay_id"), d.get("chunk_index")) for _, t, d in self.events]

    # The reading thread --------------------------------------------------------

    def _run(self):
        while True:
            with self._cond:
                if self._stop:
                    return
            try:
                self._read_stream()
            except OSError:
                pass  # refused while the server restarts, or reset when it died
            with self._cond:
                if self._stop or not self.reconnect:
                    return
            time.sleep(0.02)  # reconnect pacing (EventSource waits too)

    def _read_stream(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Accept": "text/event-stream"}
        if self._last_id is not None:
            headers["Last-Event-ID"] = self._last_id
        with self._cond:
            self._conn = conn
        try:
            conn.request("GET", "/events", headers=headers)
            response = conn.getresponse()
            if response.status != 200:
                raise OSError(f"GET /events answered {response.status}")
            with self._cond:
                self.connections += 1
                self._cond.notify_all()
            fields = {}
            while True:
                line = response.readline()
                if not line:
                    return
                line = line.decode("utf-8").rstrip("\r\n")
                if line == "":
                    self._dispatch(fields)
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    fields[name] = fields[name] + "\n" + value if name in fields else value
        finally:
            conn.close()

    def _dispatch(self, fields):
        if "data" not in fields:
            return
        with self._cond:
            if "id" in fields:
                self._last_id = fields["id"]
            self.events.append((fields.get("id"), fields.get("event", "message"), json.loads(fields["data"])))
            self._cond.notify_all()


@pytest.fixture
def sse_factory():
    readers = []

    def open_reader(server, reconnect=False):
        reader = SseReader(server.http_port, reconnect=reconnect).start()
        readers.append(reader)
        return reader

    yield open_reader
    for reader in readers:
        reader.close()


def assert_delivered_intact(reader, replay_id, replay, chunk_count):
    """Every chunk broadcast once; world, meta and frames as pushed."""
    reader.wait(lambda r: r.ended(replay_id), what=f"replay_end of {replay_id}")
    starts = reader.of_replay(replay_id, "replay_start")
    assert len(starts) >= 1
    start = starts[0][2]
    assert start["chunk_count"] == chunk_count
    assert start["world"] == replay["world"]
    assert reader.chunk_counts(replay_id) == {i: 1 for i in range(chunk_count)}
    assert reader.frames(replay_id) == replay["frames"]
    return start
