"""Bad input gets a status and a JSON detail, never a crash or a hang."""
import gzip
import json

import pytest

from harness import load_replay, world_hash


def detail_of(server, method, path, body=None, headers=None, expect=None):
    status, _, data = server.request(method, path, body, headers)
    payload = json.loads(data)
    assert isinstance(payload.get("detail"), str) and payload["detail"], payload
    if expect is not None:
        assert status == expect, (status, payload)
    return status, payload["detail"]


def test_malformed_json_is_422(server):
    detail_of(server, "POST", "/push", b'{"replay_id": "x", ', expect=422)
    detail_of(server, "POST", "/push", b'[1,2,3]', expect=422)
    detail_of(server, "PUT", "/worlds/0123456789abcdef", b'{"size": [1,2', expect=422)
    detail_of(server, "POST", "/nav/graph", b"nope", expect=422)


@pytest.mark.parametrize("missing", ["replay_id", "world_ref", "chunk_index", "chunk_count", "frames"])
def test_missing_field_is_422(server, missing):
    replay = load_replay()
    h, _ = server.put_world(replay["world"])
    chunk = {"replay_id": "m", "world_ref": h, "chunk_index": 0, "chunk_count": 1, "frames": replay["frames"][:2]}
    del chunk[missing]
    _, detail = detail_of(server, "POST", "/push", chunk, expect=422)
    assert missing in detail


def test_push_to_unknown_world_is_400(server):
    chunk = {"replay_id": "u", "world_ref": "0123456789abcdef", "chunk_index": 0, "chunk_count": 1, "frames": []}
    _, detail = detail_of(server, "POST", "/push", chunk, expect=400)
    assert "0123456789abcdef" in detail


def test_put_with_wrong_hash_is_400(server):
    world = load_replay()["world"]
    _, detail = detail_of(server, "PUT", "/worlds/0123456789abcdef", json.dumps(world).encode(), expect=400)
    assert world_hash(world) in detail


def test_get_unknown_world_is_404(server):
    detail_of(server, "GET", "/worlds/0123456789abcdef", expect=404)
    assert server.request("HEAD", "/worlds/0123456789abcdef")[0] == 404


@pytest.mark.parametrize("path", ["/worlds/ab%FF%FE", "/worlds/not-a-hash", "/worlds/0123456789ABCDEF"])
def test_malformed_world_hash_is_404_or_400_with_a_readable_detail(server, path):
    # Not text, or not a hash: nothing can be stored under it. The answer is
    # valid JSON whatever bytes the path held.
    _, detail = detail_of(server, "GET", path, expect=404)
    assert "16 lowercase hex digits" in detail
    assert server.request("HEAD", path)[0] == 404
    _, detail = detail_of(server, "PUT", path, b"{}", expect=400)
    assert "16 lowercase hex digits" in detail


@pytest.mark.parametrize("method,path", [("GET", "/push"), ("POST", "/events"), ("DELETE", "/worlds/0123456789abcdef"),
                                         ("GET", "/nav/graph"), ("PUT", "/health")])
def test_wrong_method_is_405(server, method, path):
    status, headers, data = server.request(method, path, b"{}" if method != "GET" else None)
    assert status == 405
    assert json.loads(data)["detail"]
    assert headers.get("Allow")


def test_unknown_path_is_404_with_detail(server):
    detail_of(server, "GET", "/nope", expect=404)


def test_invalid_world_is_422(server):
    bad = {"size": [10, 10], "walls": []}
    body = json.dumps(bad).encode()
    detail_of(server, "PUT", f"/worlds/{world_hash(bad)}", body, expect=422)


def test_chunk_index_out_of_range_is_422(server):
    replay = load_replay()
    h, _ = server.put_world(replay["world"])
    chunk = {"replay_id": "r", "world_ref": h, "chunk_index": 3, "chunk_count": 3, "frames": []}
    detail_of(server, "POST", "/push", chunk, expect=422)
    chunk["chunk_index"] = -1
    detail_of(server, "POST", "/push", chunk, expect=422)


def test_conflicting_chunk_count_is_409(server):
    replay = load_replay()
    h, _ = server.put_world(replay["world"])
    chunk = {"replay_id": "c", "world_ref": h, "chunk_index": 0, "chunk_count": 3, "frames": []}
    assert server.json_request("POST", "/push", chunk)[0] == 200
    chunk.update(chunk_index=1, chunk_count=4)
    detail_of(server, "POST", "/push", chunk, expect=409)


def test_gzip_bomb_is_413():
    from harness import Server
    with Server("--max-decompressed-mb", "8") as server:
        bomb = gzip.compress(b" " * (64 << 20), 9)
        detail_of(server, "POST", "/push", bomb, {"Content-Encoding": "gzip"}, expect=413)
        assert server.health()["status"] == "ok"


def test_body_over_limit_is_413():
    from harness import Server
    with Server("--max-body-mb", "1") as server:
        status, _, _ = server.request("POST", "/push", b"x" * (2 << 20))
        assert status == 413


def test_too_many_frames_in_a_chunk_is_422():
    from harness import Server
    with Server("--max-frames-per-chunk", "50") as server:
        replay = load_replay()
        h, _ = server.put_world(replay["world"])
        chunk = {"replay_id": "f", "world_ref": h, "chunk_index": 0, "chunk_count": 1, "frames": replay["frames"][:51]}
        _, detail = detail_of(server, "POST", "/push", chunk, expect=422)
        assert "50" in detail
        chunk["frames"] = replay["frames"][:50]
        assert server.json_request("POST", "/push", chunk)[0] == 200
