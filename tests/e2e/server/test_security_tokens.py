"""Issue 15, named tokens: --tokens-file with `name role token` lines works for
HTTP and gRPC, in one process and through a --core gateway; SIGHUP reloads it
without dropping viewers; logs and /metrics name who pushed, never the token."""
import contextlib
import json
import signal
import subprocess

import grpc
import pytest

from harness import Server, SseReader, ends, load_replay, server_binary, wait_for, world_hash
from echelon.replay.v1 import replay_pb2, replay_pb2_grpc

TOKENS = """# name role token
trainer-1 push tr41ner-one-secret

alice view al1ce-secret
"""


def write_tokens(path, text):
    path.write_text(text)
    path.chmod(0o600)
    return str(path)


def push_one_chunk(server, replay, replay_id, token):
    h = world_hash(replay["world"])
    chunk = {"replay_id": replay_id, "world_ref": h, "chunk_index": 0, "chunk_count": 1,
             "frames": replay["frames"][:5]}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return server.request("POST", "/push", json.dumps(chunk).encode(), headers)[0]


def push_calls(server, name):
    text = server.request("GET", "/metrics")[2].decode()
    for line in text.splitlines():
        if line.startswith(f'echelon_push_calls_total{{token="{name}"}}'):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.parametrize("gateway_alone", [False, True], ids=["one-process", "gateway-with-core"])
def test_named_tokens_over_http_and_grpc(tmp_path, gateway_alone):
    replay = load_replay()
    tokens = write_tokens(tmp_path / "tokens", TOKENS)
    with Server("--tokens-file", tokens) as core:
        server = Server("--core", core.grpc_target, "--tokens-file", tokens) if gateway_alone else core
        with server if gateway_alone else contextlib.nullcontext(core):
            h = world_hash(replay["world"])
            world = json.dumps(replay["world"]).encode()
            assert server.request("PUT", f"/worlds/{h}", world, {"Authorization": "Bearer al1ce-secret"})[0] == 401
            assert server.request("PUT", f"/worlds/{h}", world,
                                  {"Authorization": "Bearer tr41ner-one-secret"})[0] == 200
            assert push_one_chunk(server, replay, "none", None) == 401
            assert push_one_chunk(server, replay, "viewer", "al1ce-secret") == 401
            assert push_one_chunk(server, replay, "by-trainer", "tr41ner-one-secret") == 200
            for token in ("al1ce-secret", "tr41ner-one-secret"):  # push tokens view too
                assert server.request("GET", f"/worlds/{h}", headers={"Authorization": f"Bearer {token}"})[0] == 200
            assert server.request("GET", "/events")[0] == 401
            wait_for(lambda: server.health()["core_connected"], what="the gateway's own subscription")

            with grpc.insecure_channel(core.grpc_target) as channel:
                stub = replay_pb2_grpc.ReplayServiceStub(channel)
                chunk = replay_pb2.ReplayChunk(replay_id="grpc", world_ref=h, chunk_index=0, chunk_count=1,
                                               frames_json=b"[]")
                with pytest.raises(grpc.RpcError) as refused:
                    stub.Push(chunk, metadata=[("authorization", "Bearer al1ce-secret")])
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
                stub.Push(chunk, metadata=[("authorization", "Bearer tr41ner-one-secret")])
                with pytest.raises(grpc.RpcError) as unseen:
                    next(stub.Subscribe(replay_pb2.SubscribeRequest(after_id=0), timeout=5))
                assert unseen.value.code() == grpc.StatusCode.UNAUTHENTICATED
                first = next(stub.Subscribe(replay_pb2.SubscribeRequest(after_id=0, omit_world=True), timeout=5,
                                            metadata=[("authorization", "Bearer al1ce-secret")]))
                assert first.HasField("replay_start")

            # The core counts who pushed (world put, HTTP chunk, gRPC chunk), by name.
            assert push_calls(core, "trainer-1") == 3
            assert "by trainer-1" in server.logs()
            for text in (core.logs(), server.logs(), core.request("GET", "/metrics")[2].decode()):
                assert "secret" not in text


def test_sighup_reloads_tokens_without_dropping_viewers(tmp_path):
    replay = load_replay()
    tokens_path = tmp_path / "tokens"
    tokens = write_tokens(tokens_path, TOKENS)
    with Server("--tokens-file", tokens) as server:
        h = world_hash(replay["world"])
        server.request("PUT", f"/worlds/{h}", json.dumps(replay["world"]).encode(),
                       {"Authorization": "Bearer tr41ner-one-secret"})
        reader = SseReader(server.http_port, headers={"Authorization": "Bearer al1ce-secret"},
                           until=ends("after-reload"))
        reader.start()
        wait_for(lambda: server.health()["clients"] == 1, what="viewer")

        write_tokens(tokens_path, "trainer-2 push tr41ner-two-secret\nalice view al1ce-secret\n")
        server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "tokens reloaded (2 tokens)" in server.logs(), what="reload")
        assert push_one_chunk(server, replay, "old-token", "tr41ner-one-secret") == 401
        assert push_one_chunk(server, replay, "after-reload", "tr41ner-two-secret") == 200
        reader.join(timeout=10)
        assert reader.of_type("replay_end")[0]["replay_id"] == "after-reload"  # the viewer stayed

        # A broken file is reported and the tokens in force stay.
        write_tokens(tokens_path, "trainer-3 admin x\n")
        server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "tokens not reloaded" in server.logs(), what="failed reload")
        assert "unknown role 'admin'" in server.logs()
        assert push_one_chunk(server, replay, "still", "tr41ner-two-secret") == 200
        assert server.proc.poll() is None


def test_a_bad_tokens_file_stops_the_start_with_file_and_line(tmp_path):
    bad = write_tokens(tmp_path / "tokens", "# ok\nalice view\n")
    result = subprocess.run([server_binary(), "--port", "0", "--grpc-port", "0", "--tokens-file", bad],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert f"{bad}:2: expected `name role token` (3 fields), got 2" in result.stderr
    missing = subprocess.run([server_binary(), "--port", "0", "--grpc-port", "0", "--tokens-file",
                              str(tmp_path / "none")], capture_output=True, text=True, timeout=20)
    assert missing.returncode == 2 and "cannot read tokens file" in missing.stderr


def test_legacy_token_flags_still_work_alongside_a_tokens_file(tmp_path):
    tokens = write_tokens(tmp_path / "tokens", TOKENS)
    replay = load_replay()
    with Server("--tokens-file", tokens, "--push-token", "legacy-push") as server:
        h = world_hash(replay["world"])
        assert server.request("PUT", f"/worlds/{h}", json.dumps(replay["world"]).encode(),
                              {"Authorization": "Bearer legacy-push"})[0] == 200
        assert push_one_chunk(server, replay, "legacy", "legacy-push") == 200
        assert push_calls(server, "push-token") == 2
