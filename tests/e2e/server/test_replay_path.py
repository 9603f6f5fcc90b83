"""The whole replay path through the real binary, as today's clients use it:
the trainer's HTTP sequence, the gRPC client stream, and gRPC Subscribe."""
import gzip
import json
import threading

import grpc
import pytest

from harness import SseReader, ends, load_replay, wait_for, world_hash

from echelon.replay.v1 import replay_pb2, replay_pb2_grpc, world_pb2, world_pb2_grpc

CHUNK = 100


def check_reader_got_replay(reader, replay, replay_id, meta, run=None):
    events = [(e, d) for _, e, d in reader.events if d.get("replay_id") == replay_id]
    kinds = [e for e, _ in events]
    count = (len(replay["frames"]) + CHUNK - 1) // CHUNK
    assert kinds == ["replay_start"] + ["replay_chunk"] * count + ["replay_end"], kinds
    start = events[0][1]
    assert start["world_ref"] == world_hash(replay["world"])
    assert start["chunk_count"] == count
    assert start["meta"] == meta
    assert start["world"] == replay["world"]
    if run is not None:
        assert start["run"] == run
    for i, (_, data) in enumerate(events[1:-1]):
        assert data["chunk_index"] == i
        assert data["frames"] == replay["frames"][i * CHUNK:(i + 1) * CHUNK]
    ids = [i for i, _, d in reader.events if d.get("replay_id") == replay_id]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_trainer_sequence_reaches_every_reader(server):
    replay = load_replay("w40x40x20_s3")
    h = world_hash(replay["world"])
    readers = [SseReader(server.http_port, until=ends("trainer-1")) for _ in range(3)]
    for r in readers:
        r.start()
    wait_for(lambda: server.health()["clients"] == 3, what="3 viewers")

    assert server.request("HEAD", f"/worlds/{h}")[0] == 404
    put_hash, (status, answer) = server.put_world(replay["world"], gzipped=True)
    assert status == 200, answer
    assert answer == {"status": "ok", "world_hash": h}
    assert server.request("HEAD", f"/worlds/{h}")[0] == 200

    run = {"name": "ppo-7", "seed": 3}
    meta = {"episode": 42, "update": 100}
    answers = server.push_replay_http(replay, "trainer-1", CHUNK, meta=meta, run=run)
    for i, (status, answer) in enumerate(answers):
        assert status == 200, answer
        assert answer["status"] == "ok"
        assert answer["replay_id"] == "trainer-1"
        assert answer["chunk_index"] == i
        assert answer["clients_notified"] == 3

    for r in readers:
        r.join(timeout=20)
        assert r.error is None
        check_reader_got_replay(r, replay, "trainer-1", meta, run)


def grpc_chunks(replay, replay_id, meta):
    h = world_hash(replay["world"])
    frames = replay["frames"]
    count = (len(frames) + CHUNK - 1) // CHUNK
    for i in range(count):
        chunk = replay_pb2.ReplayChunk(replay_id=replay_id, world_ref=h, chunk_index=i, chunk_count=count,
                                       frames_json=json.dumps(frames[i * CHUNK:(i + 1) * CHUNK]).encode())
        if i == 0:
            chunk.meta.update(meta)
        yield chunk


def test_grpc_push_gives_the_same_sse_content_and_subscribe_sees_it(server):
    replay = load_replay("w80x50x20_s2")
    meta = {"episode": 7, "update": 3}
    channel = grpc.insecure_channel(server.grpc_target)
    world_stub = world_pb2_grpc.WorldServiceStub(channel)
    replay_stub = replay_pb2_grpc.ReplayServiceStub(channel)
    h = world_hash(replay["world"])
    assert not world_stub.Has(world_pb2.HasWorldRequest(world_hash=h)).present
    put = world_stub.Put(world_pb2.PutWorldRequest(world_json=json.dumps(replay["world"]).encode(), world_hash=h))
    assert put.world_hash == h

    reader = SseReader(server.http_port, until=ends("grpc-1"))
    reader.start()
    wait_for(lambda: server.health()["clients"] == 1, what="viewer")

    subscribed = []
    call = replay_stub.Subscribe(replay_pb2.SubscribeRequest())

    def consume():
        for event in call:
            subscribed.append(event)
            if event.WhichOneof("kind") == "replay_end":
                break

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()

    summary = replay_stub.PushChunks(grpc_chunks(replay, "grpc-1", meta))
    count = (len(replay["frames"]) + CHUNK - 1) // CHUNK
    assert summary.chunks_accepted == count
    assert list(summary.replay_ids) == ["grpc-1"]

    reader.join(timeout=20)
    consumer.join(timeout=20)
    call.cancel()
    check_reader_got_replay(reader, replay, "grpc-1", meta)

    kinds = [e.WhichOneof("kind") for e in subscribed]
    assert kinds == ["replay_start"] + ["replay_chunk"] * count + ["replay_end"]
    assert json.loads(subscribed[0].replay_start.world_json) == replay["world"]
    sse_ids = [i for i, _, d in reader.events if d.get("replay_id") == "grpc-1"]
    assert [e.id for e in subscribed] == sse_ids
    for i, event in enumerate(subscribed[1:-1]):
        assert json.loads(event.replay_chunk.frames_json) == replay["frames"][i * CHUNK:(i + 1) * CHUNK]
    channel.close()


def test_http_and_grpc_pushes_of_one_replay_look_the_same_to_viewers(server):
    replay = load_replay("w40x40x20_s3")
    server.put_world(replay["world"])
    meta = {"episode": 1}
    reader = SseReader(server.http_port, until=ends("via-grpc"))
    reader.start()
    wait_for(lambda: server.health()["clients"] == 1, what="viewer")
    server.push_replay_http(replay, "via-http", CHUNK, meta=meta)
    with grpc.insecure_channel(server.grpc_target) as channel:
        replay_pb2_grpc.ReplayServiceStub(channel).PushChunks(grpc_chunks(replay, "via-grpc", meta))
    reader.join(timeout=20)

    def content(replay_id):
        return [(e, {k: v for k, v in d.items() if k != "replay_id"})
                for _, e, d in reader.events if d.get("replay_id") == replay_id]

    assert content("via-http") == content("via-grpc")


def test_world_opt_out_and_get_world(server):
    replay = load_replay("w40x40x20_s3")
    h, _ = server.put_world(replay["world"])
    reader = SseReader(server.http_port, path="/events?world=0", until=ends("lean"))
    reader.start()
    wait_for(lambda: server.health()["clients"] == 1, what="viewer")
    server.push_replay_http(replay, "lean", CHUNK)
    reader.join(timeout=20)
    start = reader.of_type("replay_start")[0]
    assert "world" not in start
    status, headers, body = server.request("GET", f"/worlds/{h}", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["ETag"] == f'"{h}"'
    assert "immutable" in headers["Cache-Control"]
    assert json.loads(gzip.decompress(body)) == replay["world"]
    status, headers, body = server.request("GET", f"/worlds/{h}")
    assert json.loads(body) == replay["world"]
    assert server.request("GET", f"/worlds/{h}", headers={"If-None-Match": f'"{h}"'})[0] == 304


def test_sse_framing_has_ids_and_keepalive():
    from harness import Server
    with Server("--sse-keepalive", "1") as server:
        reader = SseReader(server.http_port)
        reader.start()
        wait_for(lambda: any(c.startswith(": keepalive ") for c in reader.comments), timeout=5, what="keepalive")
        reader.close()
        reader.join(timeout=5)


def test_resent_chunk_is_acknowledged_but_not_broadcast(server):
    replay = load_replay("w40x40x20_s3")
    h, _ = server.put_world(replay["world"])
    reader = SseReader(server.http_port, until=ends("dup"))
    reader.start()
    wait_for(lambda: server.health()["clients"] == 1, what="viewer")
    chunk0 = {"replay_id": "dup", "world_ref": h, "chunk_index": 0, "chunk_count": 2, "frames": replay["frames"][:5]}
    assert server.json_request("POST", "/push", chunk0)[0] == 200
    status, answer = server.json_request("POST", "/push", chunk0)
    assert status == 200 and answer["duplicate"] is True and answer["clients_notified"] == 0
    chunk1 = dict(chunk0, chunk_index=1, frames=replay["frames"][5:10])
    assert server.json_request("POST", "/push", chunk1)[0] == 200
    reader.join(timeout=10)
    assert [d["chunk_index"] for d in reader.of_type("replay_chunk")] == [0, 1]
