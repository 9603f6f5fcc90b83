"""Slow viewers, viewer limit, late joiners, resume, auth, limits, shutdown."""
import contextlib
import gzip
import json
import signal
import socket
import time

import grpc
import pytest

from harness import Server, SseReader, ends, load_replay, wait_for, world_hash

from echelon.replay.v1 import replay_pb2, replay_pb2_grpc


def stalled_viewer(port, path="/events"):
    """A viewer that connects and then never reads: tiny receive buffer so
    the server notices soon."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def big_replay(chunks, frames_per_chunk=100):
    """Real frames repeated into a replay of `chunks` chunks (~0.8 MB each)."""
    base = load_replay("w100x100x20_s4_p2")
    frames = (base["frames"] * (chunks * frames_per_chunk // len(base["frames"]) + 1))[:chunks * frames_per_chunk]
    return {"world": base["world"], "frames": frames}


def test_seventeenth_viewer_gets_503_and_nobody_is_evicted(server):
    readers = [SseReader(server.http_port) for _ in range(16)]
    for r in readers:
        r.start()
    wait_for(lambda: server.health()["clients"] == 16, what="16 viewers")
    status, headers, body = server.request("GET", "/events")
    assert status == 503
    assert headers["Retry-After"]
    assert "16" in json.loads(body)["detail"]
    assert server.health()["clients"] == 16
    assert all(r.is_alive() for r in readers)
    for r in readers:
        r.close()
    wait_for(lambda: server.health()["clients"] == 0, what="viewers gone")


def test_stalled_viewers_are_dropped_and_the_rest_get_everything():
    replay = big_replay(chunks=16)
    with Server("--sse-broadcast-timeout", "1") as server:
        server.put_world(replay["world"])
        healthy = [SseReader(server.http_port, until=ends("slow"), raw=True) for _ in range(12)]
        for r in healthy:
            r.start()
        stalled = [stalled_viewer(server.http_port) for _ in range(4)]
        wait_for(lambda: server.health()["clients"] == 16, what="16 viewers")

        latencies = []
        h = world_hash(replay["world"])
        frames = replay["frames"]
        for i in range(16):
            chunk = {"replay_id": "slow", "world_ref": h, "chunk_index": i, "chunk_count": 16,
                     "frames": frames[i * 100:(i + 1) * 100]}
            body = json.dumps(chunk).encode()
            started = time.monotonic()
            status, _ = server.json_request("POST", "/push", body)
            latencies.append(time.monotonic() - started)
            assert status == 200
        last_push = time.monotonic()
        wait_for(lambda: server.health()["clients"] <= 12, timeout=5, what="stalled viewers dropped")
        assert time.monotonic() - last_push < 1.5
        # Broadcasting never waited for the stalled viewers.
        assert max(latencies) < 0.9, latencies
        for r in healthy:
            r.join(timeout=30)
            assert r.error is None
            kinds = [e for _, e, _ in r.events]
            assert kinds == ["replay_start"] + ["replay_chunk"] * 16 + ["replay_end"]
            ids = [i for i, _, _ in r.events]
            assert ids == sorted(ids)
            chunks = [json.loads(d) for _, e, d in r.events if e == "replay_chunk"]
            assert [c["chunk_index"] for c in chunks] == list(range(16))
            assert chunks[5]["frames"] == frames[500:600]
        assert server.metric("echelon_sse_slow_drops_total") >= 4
        for s in stalled:
            s.close()


def push_chunks(server, replay, replay_id, indices, count):
    h = world_hash(replay["world"])
    for i in indices:
        chunk = {"replay_id": replay_id, "world_ref": h, "chunk_index": i, "chunk_count": count,
                 "frames": replay["frames"][i * 10:(i + 1) * 10]}
        if i == 0:
            chunk["meta"] = {"episode": 1}
        assert server.json_request("POST", "/push", chunk)[0] == 200


def test_late_joiner_gets_the_current_replay_start_and_retained_chunks(server):
    replay = load_replay()
    server.put_world(replay["world"])
    push_chunks(server, replay, "old", range(3), 3)      # finished before
    push_chunks(server, replay, "live", range(4), 8)     # in the middle
    late = SseReader(server.http_port, until=ends("live"))
    late.start()
    wait_for(lambda: len(late.events) >= 5, what="catch-up")
    push_chunks(server, replay, "live", range(4, 8), 8)
    late.join(timeout=10)
    live = [(e, d) for _, e, d in late.events if d.get("replay_id") == "live"]
    assert [e for e, _ in live] == ["replay_start"] + ["replay_chunk"] * 8 + ["replay_end"]
    assert [d["chunk_index"] for e, d in live if e == "replay_chunk"] == list(range(8))
    assert live[0][1]["world"] == replay["world"]
    # The newest complete replay comes along too (issue 14), before the live
    # one, so the viewer ends up showing the live replay.
    old = [i for i, _, d in late.events if d.get("replay_id") == "old"]
    live_start = next(i for i, e, d in late.events if e == "replay_start" and d["replay_id"] == "live")
    assert all(i < live_start for i in old)


def test_last_event_id_resume_gets_exactly_the_missed_events(server):
    replay = load_replay()
    server.put_world(replay["world"])
    first = SseReader(server.http_port, until=lambda e, d: e == "replay_chunk" and d["chunk_index"] == 2)
    first.start()
    wait_for(lambda: server.health()["clients"] == 1, what="viewer")
    witness = SseReader(server.http_port, until=ends("r"))
    witness.start()
    wait_for(lambda: server.health()["clients"] == 2, what="witness")
    push_chunks(server, replay, "r", range(3), 8)
    first.join(timeout=10)
    last_id = first.events[-1][0]
    push_chunks(server, replay, "r", range(3, 6), 8)
    resumed = SseReader(server.http_port, headers={"Last-Event-ID": str(last_id)}, until=ends("r"))
    resumed.start()
    wait_for(lambda: len(resumed.events) >= 3, what="resume catch-up")
    push_chunks(server, replay, "r", range(6, 8), 8)
    resumed.join(timeout=10)
    witness.join(timeout=10)
    missed = [(i, e) for i, e, _ in witness.events if i > last_id]
    assert [(i, e) for i, e, _ in resumed.events] == missed
    by_query = SseReader(server.http_port, path=f"/events?last_event_id={last_id}", until=ends("r"))
    by_query.start()
    by_query.join(timeout=10)
    assert [(i, e) for i, e, _ in by_query.events] == missed


def test_resume_after_eviction_restarts_the_current_replay():
    # Memory only: with the library the resume is served from disk, without a
    # gap (test_library.py).
    replay = big_replay(chunks=12)
    with Server("--retention-mb", "3", "--no-library") as server:
        server.put_world(replay["world"])
        first = SseReader(server.http_port, until=lambda e, d: e == "replay_chunk", raw=True)
        first.start()
        wait_for(lambda: server.health()["clients"] == 1, what="viewer")
        h = world_hash(replay["world"])
        for i in range(10):
            chunk = {"replay_id": "big", "world_ref": h, "chunk_index": i, "chunk_count": 12,
                     "frames": replay["frames"][i * 100:(i + 1) * 100]}
            assert server.json_request("POST", "/push", chunk)[0] == 200
        first.join(timeout=10)
        resumed = SseReader(server.http_port, headers={"Last-Event-ID": str(first.events[0][0])},
                            until=lambda e, d: e == "replay_chunk", raw=True)
        resumed.start()
        resumed.join(timeout=10)
        kinds = [e for _, e, _ in resumed.events]
        assert kinds[0] == "replay_start"
        first_chunk = json.loads(resumed.events[1][2])
        assert first_chunk["chunk_index"] > 1  # chunks 0.. were evicted: the viewer shows a gap


def test_push_token_is_required_for_pushing_and_not_for_viewing():
    replay = load_replay()
    with Server(env={"ECHELON_PUSH_TOKEN": "s3cret"}) as server:
        h = world_hash(replay["world"])
        body = json.dumps(replay["world"]).encode()
        status, _, data = server.request("PUT", f"/worlds/{h}", body)
        assert status == 401 and json.loads(data)["detail"]
        auth = {"Authorization": "Bearer s3cret"}
        assert server.request("PUT", f"/worlds/{h}", body, auth)[0] == 200
        chunk = {"replay_id": "a", "world_ref": h, "chunk_index": 0, "chunk_count": 1, "frames": []}
        assert server.request("POST", "/push", json.dumps(chunk).encode())[0] == 401
        assert server.request("POST", "/push", json.dumps(chunk).encode(),
                              {"Authorization": "Bearer wrong!"})[0] == 401
        assert server.request("POST", "/push", json.dumps(chunk).encode(), auth)[0] == 200
        assert server.request("GET", f"/worlds/{h}")[0] == 200
        with grpc.insecure_channel(server.grpc_target) as channel:
            stub = replay_pb2_grpc.ReplayServiceStub(channel)
            with pytest.raises(grpc.RpcError) as error:
                stub.Push(replay_pb2.ReplayChunk(replay_id="b", world_ref=h, chunk_index=0, chunk_count=1,
                                                 frames_json=b"[]"))
            assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
            ack = stub.Push(replay_pb2.ReplayChunk(replay_id="b", world_ref=h, chunk_index=0, chunk_count=1,
                                                   frames_json=b"[]"), metadata=[("authorization", "Bearer s3cret")])
            assert ack.replay_id == "b"
        assert "s3cret" not in server.logs()


# gRPC aborts the process on a metadata value that is not printable ASCII;
# the gateway must never forward such an Authorization header to the core.
UNSENDABLE_AUTHORIZATION = {"Authorization": "Bearer \xff\x01s3cret"}


def _requests_with_unsendable_authorization(server, h, world_body):
    chunk = json.dumps({"replay_id": "x", "world_ref": h, "chunk_index": 0, "chunk_count": 1, "frames": []}).encode()
    return [
        server.request("PUT", f"/worlds/{h}", world_body, UNSENDABLE_AUTHORIZATION)[0],
        server.request("GET", f"/worlds/{h}", None, UNSENDABLE_AUTHORIZATION)[0],
        server.request("HEAD", f"/worlds/{h}", None, UNSENDABLE_AUTHORIZATION)[0],
        server.request("POST", "/push", chunk, UNSENDABLE_AUTHORIZATION)[0],
        server.request("POST", "/nav/graph", {"world_ref": h}, UNSENDABLE_AUTHORIZATION)[0],
    ]


@pytest.mark.parametrize("gateway_alone", [False, True], ids=["one-process", "gateway-with-core"])
def test_authorization_header_grpc_cannot_carry_is_refused_not_fatal(gateway_alone):
    world = load_replay()["world"]
    h = world_hash(world)
    body = json.dumps(world).encode()
    env = {"ECHELON_PUSH_TOKEN": "s3cret"}
    with Server(env=env) as core:
        server = Server("--core", core.grpc_target, env=env) if gateway_alone else core
        with server if gateway_alone else contextlib.nullcontext(core):
            statuses = _requests_with_unsendable_authorization(server, h, body)
            assert statuses[0] == 401 and statuses[3] == 401, statuses
            assert all(status in (401, 404, 422) for status in statuses), statuses
            assert server.health()["status"] == "ok"
            assert core.health()["status"] == "ok"
    # Without tokens the header does not matter at all.
    with Server() as server:
        statuses = _requests_with_unsendable_authorization(server, h, body)
        assert statuses[:3] == [200, 200, 200], statuses
        assert statuses[3] == 200, statuses
        assert server.health()["status"] == "ok"


def test_view_token_closes_viewing():
    with Server(env={"ECHELON_VIEW_TOKEN": "look"}) as server:
        assert server.request("GET", "/events")[0] == 401
        assert server.request("GET", "/worlds/0123456789abcdef")[0] == 401
        reader = SseReader(server.http_port, headers={"Authorization": "Bearer look"})
        reader.start()
        wait_for(lambda: server.health()["clients"] == 1, what="authorised viewer")
        reader.close()


def test_gzip_bomb_takes_no_memory():
    with Server("--max-decompressed-mb", "16") as server:
        bomb = gzip.compress(b"[" * (512 << 20), 9)
        before = server.metric("echelon_process_rss_bytes")
        status, _, data = server.request("POST", "/push", bomb, {"Content-Encoding": "gzip"})
        assert status == 413 and json.loads(data)["detail"]
        after = server.metric("echelon_process_rss_bytes")
        assert after - before < 40 << 20


def test_unfinished_replay_expires_and_its_state_is_freed():
    replay = load_replay()
    with Server("--replay-idle", "1") as server:
        server.put_world(replay["world"])
        push_chunks(server, replay, "abandoned", [0], 5)
        assert server.metric("echelon_hub_replays") == 1
        wait_for(lambda: server.metric("echelon_hub_replays") == 0, timeout=5, what="expiry")


def test_sigterm_with_viewers_and_stalled_ones_exits_quickly():
    replay = big_replay(chunks=12)
    server = Server()
    with server:
        server.put_world(replay["world"])
        readers = [SseReader(server.http_port) for _ in range(14)]
        for r in readers:
            r.start()
        stalled = [stalled_viewer(server.http_port) for _ in range(2)]
        wait_for(lambda: server.health()["clients"] == 16, what="16 viewers")
        h = world_hash(replay["world"])
        for i in range(12):
            chunk = {"replay_id": "t", "world_ref": h, "chunk_index": i, "chunk_count": 13,
                     "frames": replay["frames"][i * 100:(i + 1) * 100]}
            server.json_request("POST", "/push", chunk)
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=10)
        elapsed = time.monotonic() - started
        assert code == 0
        assert elapsed < 2.5, elapsed
        for r in readers:
            r.join(timeout=5)
            assert not r.is_alive()
        for s in stalled:
            s.close()
