"""The server is killed in the middle of a push and started again on the same
ports: the client's retries finish the replay, and a viewer that reconnects
sees every chunk exactly once."""

import logging

import pytest

from conftest import load_replay
from echelon_replay import ReplayClient, push_replay

KILL_AFTER = 8  # chunks acknowledged before the server dies
CHUNK = 20  # 480 frames -> 24 chunks


class RestartOnFirstRetry(logging.Handler):
    """Starts the killed server again when the client logs its first retry:
    the client has then seen the outage, so the restart is deterministic."""

    def __init__(self, server):
        super().__init__(level=logging.WARNING)
        self.server = server
        self.killed = False
        self.restarted = False

    def emit(self, record):
        if self.killed and not self.restarted and "retry" in record.getMessage():
            self.restarted = True
            self.server.start()


@pytest.fixture
def restart(server):
    handler = RestartOnFirstRetry(server)
    logger = logging.getLogger("echelon_replay")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def kill_after(server, viewer, restart, replay_id):
    """A progress callback: once KILL_AFTER chunks are acknowledged and the
    last one reached the viewer, kill the server."""

    def progress(done, count):
        if done == KILL_AFTER and not restart.killed:
            viewer.wait(lambda r: KILL_AFTER - 1 in r.chunk_counts(replay_id), what="last acknowledged chunk")
            server.kill()
            restart.killed = True

    return progress


def assert_each_chunk_once(viewer, replay_id, replay):
    count = len(replay["frames"]) // CHUNK
    viewer.wait(lambda r: len(r.chunk_counts(replay_id)) == count, timeout=60, what="all chunks")
    assert viewer.chunk_counts(replay_id) == {i: 1 for i in range(count)}
    assert viewer.frames(replay_id) == replay["frames"]
    assert viewer.connections >= 2  # it did lose the first server


def test_push_replay_finishes_across_a_restart(server, sse_factory, restart):
    replay = load_replay()
    viewer = sse_factory(server, reconnect=True)
    result = push_replay(server.url + "/push", replay, chunk_size=CHUNK, replay_id="py-restart", retries=8,
                         backoff=0.05, progress=kill_after(server, viewer, restart, "py-restart"))
    assert restart.restarted
    assert result.ok, result.error
    assert result.retries >= 1
    assert result.chunks_sent == 24
    assert_each_chunk_once(viewer, "py-restart", replay)


def test_replay_client_ack_each_chunk_finishes_across_a_restart(server, sse_factory, restart):
    replay = load_replay()
    viewer = sse_factory(server, reconnect=True)
    with ReplayClient(server.grpc_target, retries=8, backoff=0.05) as client:
        summary = client.push_replay(replay, chunk_size=CHUNK, replay_id="py-grpc-restart", ack_each_chunk=True,
                                     progress=kill_after(server, viewer, restart, "py-grpc-restart"))
    assert restart.restarted
    assert summary.retries >= 1
    assert summary.chunks_accepted == 24
    assert_each_chunk_once(viewer, "py-grpc-restart", replay)
