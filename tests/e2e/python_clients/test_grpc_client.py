"""ReplayClient (gRPC, generated stubs) against the real server."""

import threading

import pytest

from conftest import assert_delivered_intact, load_replay
from echelon_replay import ReplayClient, ReplayPushError, world_hash


@pytest.fixture
def client(server):
    with ReplayClient(server.grpc_target, backoff=0.05) as c:
        yield c


def test_stream_delivers_fixture_replay_intact(server, client, sse_factory):
    replay = load_replay()
    replay["meta"] = {"episode": 7}
    replay["run"] = {"name": "ppo"}
    viewer = sse_factory(server)
    progress = []
    summary = client.push_replay(replay, replay_id="py-grpc", progress=lambda done, n: progress.append((done, n)))
    assert (summary.chunk_count, summary.chunks_accepted, summary.chunks_duplicate) == (5, 5, 0)
    assert summary.world_hash == world_hash(replay["world"])
    assert progress[-1] == (5, 5)
    start = assert_delivered_intact(viewer, "py-grpc", replay, 5)
    assert start["meta"] == {"episode": 7}


def test_ack_each_chunk_delivers_intact_and_resend_is_duplicate(server, client, sse_factory):
    replay = load_replay()
    viewer = sse_factory(server)
    summary = client.push_replay(replay, chunk_size=64, replay_id="py-unary", ack_each_chunk=True)
    assert summary.chunks_accepted == 8
    assert_delivered_intact(viewer, "py-unary", replay, 8)
    again = client.push_replay(replay, chunk_size=64, replay_id="py-unary", ack_each_chunk=True)
    assert (again.chunks_accepted, again.chunks_duplicate) == (0, 8)
    again = client.push_replay(replay, chunk_size=64, replay_id="py-unary")
    assert (again.chunks_accepted, again.chunks_duplicate) == (0, 8)


def test_ensure_world_returns_the_world_hash(client):
    world = load_replay("w40x40x20_s3")["world"]
    assert client.ensure_world(world) == world_hash(world)
    assert client.ensure_world(world) == world_hash(world)


def test_subscribe_yields_the_replay_events(server, client):
    replay = load_replay("w40x40x20_s3")
    seen = []
    subscribed = threading.Event()

    def follow():
        events = client.subscribe(after_id=0, timeout=60)
        subscribed.set()
        for event in events:
            seen.append(event)
            if event.HasField("replay_end"):
                break

    reader = threading.Thread(target=follow)
    reader.start()
    subscribed.wait(10)
    client.push_replay(replay, chunk_size=50, replay_id="py-sub")
    reader.join(60)
    assert not reader.is_alive()
    kinds = [e.WhichOneof("kind") for e in seen]
    assert kinds == ["replay_start", "replay_chunk", "replay_chunk", "replay_chunk", "replay_end"]
    assert [e.id for e in seen] == sorted(e.id for e in seen)
    assert seen[0].replay_start.replay_id == "py-sub"
    assert sorted(e.replay_chunk.chunk_index for e in seen[1:4]) == [0, 1, 2]


def test_unreachable_server_raises_after_retries(monkeypatch):
    from conftest import free_port

    with ReplayClient(f"127.0.0.1:{free_port()}", retries=1, backoff=0.01) as client:
        with pytest.raises(ReplayPushError) as error:
            client.push_replay(load_replay("w40x40x20_s3"))
    assert error.value.code.name == "UNAVAILABLE"
