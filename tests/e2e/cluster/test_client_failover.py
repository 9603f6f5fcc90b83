"""Clients given several endpoints (issue 17, item 4): the first is down, the
push goes to the next one. Needs no NATS: failover is the clients' part."""
import os
import subprocess

from harness import FIXTURES, Server, SseReader, ends, free_port, load_replay, wait_for
from echelon_replay import ReplayClient, push_replay

FIXTURE = str(FIXTURES / "replays" / "w40x40x20_s3.replay.json")


def push_binary():
    return os.environ.get("ECHELON_PUSH_BIN", "echelon-push")


def viewer_of(server, replay_id):
    viewer = SseReader(server.http_port, until=ends(replay_id))
    viewer.start()
    wait_for(lambda: server.health()["clients"] >= 1, what="viewer connected")
    return viewer


def chunks_of(viewer, replay_id):
    return sorted(d["chunk_index"] for _, kind, d in viewer.events
                  if kind == "replay_chunk" and d["replay_id"] == replay_id)


def test_every_client_fails_over_from_a_dead_endpoint():
    dead_http, dead_grpc = free_port(), free_port()
    replay = load_replay()
    with Server() as live:
        for replay_id, args in (
                ("cli-http", ["--http", f"http://127.0.0.1:{dead_http},http://127.0.0.1:{live.http_port}"]),
                ("cli-grpc", ["--server", f"127.0.0.1:{dead_grpc},127.0.0.1:{live.grpc_port}"])):
            viewer = viewer_of(live, replay_id)
            done = subprocess.run([push_binary(), FIXTURE, "--replay-id", replay_id, "--chunk-frames", "30",
                                   "--retries", "5", "-q", *args], capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            viewer.join(timeout=15)
            assert chunks_of(viewer, replay_id) == [0, 1, 2, 3]

        viewer = viewer_of(live, "py-http")
        result = push_replay([f"http://127.0.0.1:{dead_http}/push", f"http://127.0.0.1:{live.http_port}/push"],
                             replay, 30, replay_id="py-http", backoff=0.05)
        assert result.ok, result.error
        viewer.join(timeout=15)
        assert chunks_of(viewer, "py-http") == [0, 1, 2, 3]

        viewer = viewer_of(live, "py-grpc")
        client = ReplayClient([f"127.0.0.1:{dead_grpc}", f"127.0.0.1:{live.grpc_port}"], timeout=10)
        try:
            client.push_replay(replay, 30, replay_id="py-grpc")
        finally:
            client.close()
        viewer.join(timeout=15)
        assert chunks_of(viewer, "py-grpc") == [0, 1, 2, 3]
