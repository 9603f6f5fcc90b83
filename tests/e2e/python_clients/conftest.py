"""Fixtures for the Python client tests: the real echelon-server on free
loopback ports and SSE readers of GET /events that can reconnect across a
server restart. Both come from tests/e2e/support/echelon_testing.py (shared
with tests/e2e/server); the names below are the ones these tests import."""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))
import echelon_testing  # noqa: E402
from echelon_testing import FIXTURES, REPO, free_port, wait_for  # noqa: E402,F401 - re-exported

# The package works from a source checkout without installing it.
sys.path.insert(0, str(REPO / "clients" / "python"))

SERVER_BIN = echelon_testing.server_binary()


def load_replay(name="w100x100x20_s4_p2"):
    return echelon_testing.load_replay(name)


class ServerProcess(echelon_testing.Server):
    """echelon-server on 127.0.0.1, logging warnings only; start() again after
    kill() reuses the ports."""

    def __init__(self, *extra_args):
        super().__init__("--log-level", "warn", *extra_args)


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


@pytest.fixture
def server(server_factory):
    return server_factory()


class SseReader(echelon_testing.SseReader):
    """SseReader(port, reconnect=False).start() returns once connected."""

    def __init__(self, port, reconnect=False, **options):
        super().__init__(port, reconnect=reconnect, **options)

    def start(self):
        return super().start().wait_connected()


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
