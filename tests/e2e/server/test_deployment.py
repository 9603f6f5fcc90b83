"""How the binary is run: --help, a gateway alone against a remote core,
gRPC health checking and reflection, oversized request lines and headers."""
import subprocess
import threading
from pathlib import Path

import grpc

from harness import Server, SseReader, ends, load_replay, server_binary, wait_for


def test_help_lists_every_setting():
    out = subprocess.run([server_binary(), "--help"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0
    for flag in ("--host", "--port", "--grpc-port", "--core", "ECHELON_SSE_MAX_CLIENTS", "ECHELON_SSE_KEEPALIVE_S",
                 "ECHELON_SSE_BROADCAST_TIMEOUT_S", "ECHELON_WORLD_CACHE_MAX", "ECHELON_NAV_CACHE_MAX",
                 "ECHELON_PUSH_TOKEN", "ECHELON_VIEW_TOKEN", "ECHELON_RETENTION_MB"):
        assert flag in out.stdout, flag
    bad = subprocess.run([server_binary(), "--port", "nope"], capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0 and bad.stderr
    # A token must fit in a header and gRPC metadata.
    bad = subprocess.run([server_binary(), "--push-token", "two words"], capture_output=True, text=True, timeout=10)
    assert bad.returncode != 0 and "printable ASCII" in bad.stderr


def test_gateways_against_one_core_all_see_the_pushes():
    replay = load_replay()
    with Server() as core:
        with Server("--core", core.grpc_target) as gateway:
            on_core = SseReader(core.http_port, until=ends("fan"))
            on_gateway = SseReader(gateway.http_port, until=ends("fan"))
            on_core.start()
            on_gateway.start()
            wait_for(lambda: core.health()["clients"] == 1 and gateway.health()["clients"] == 1
                     and gateway.health()["core_connected"], what="viewers on both")
            gateway.put_world(replay["world"])
            gateway.push_replay_http(replay, "fan", 50)
            on_core.join(timeout=15)
            on_gateway.join(timeout=15)
            assert on_core.events == on_gateway.events
            assert [e for _, e, _ in on_gateway.events][-1] == "replay_end"


def test_grpc_health_and_reflection(server):
    with grpc.insecure_channel(server.grpc_target) as channel:
        # grpc.health.v1.Health/Check with an empty HealthCheckRequest answers
        # HealthCheckResponse{status: SERVING} = field 1, varint 1.
        check = channel.unary_unary("/grpc.health.v1.Health/Check")
        assert check(b"", timeout=5) == b"\x08\x01"
        # ServerReflectionRequest{list_services: ""} is field 7, empty string.
        reflect = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
        answer = b"".join(reflect(iter([b"\x3a\x00"]), timeout=5))
        for service in (b"echelon.replay.v1.ReplayService", b"echelon.replay.v1.WorldService",
                        b"echelon.replay.v1.NavService", b"grpc.health.v1.Health"):
            assert service in answer


def test_oversized_url_and_headers_are_refused(server):
    status, _, _ = server.request("GET", "/worlds/" + "a" * 20000)
    assert status in (400, 414)
    status, _, _ = server.request("GET", "/health", headers={"X-Big": "b" * 20000})
    assert status in (400, 431)
    assert server.health()["status"] == "ok"


def test_viewer_dir_serves_each_request_its_own_file_under_concurrency():
    # --viewer-dir reads files per request (viewer development); many
    # workers at once must each get the file they asked for, whole.
    viewer = Path(__file__).resolve().parents[3] / "viewer"
    files = ["index.html", "style.css", "src/main.js", "src/world_layer.js", "src/format.js"]
    expected = {name: (viewer / name).read_bytes() for name in files}
    with Server("--viewer-dir", str(viewer)) as server:
        failures = []

        def fetch_all():
            for _ in range(15):
                for name in files:
                    status, _, body = server.request("GET", "/" + name)
                    if status != 200 or body != expected[name]:
                        failures.append((name, status, len(body)))

        threads = [threading.Thread(target=fetch_all) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not failures, failures[:5]
