"""Connections (issue 13) at a small scale, with generous timings: idle,
slowloris and numerous clients never starve /health, pushes or new viewers;
header, keep-alive and body deadlines; connection caps; the gRPC push-stream
idle limit. Slow SSE links are in test_slow_links.py. The strict numbers are
tools/conn_load's (docs/benchmarks.md)."""
import json
import re
import signal
import socket
import threading
import time

import grpc
import pytest

from harness import Server, SseReader, ends, load_replay, wait_for, world_hash

from echelon.replay.v1 import replay_pb2, replay_pb2_grpc


def idle_socket(port):
    sock = socket.create_connection(("127.0.0.1", port))
    return sock


def closed_by_server(sock, timeout):
    """True when the server closes `sock` within `timeout` (reads to EOF)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
        return True
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


class Slowloris(threading.Thread):
    """A request line, then one header byte every `interval` seconds."""

    def __init__(self, port, interval=0.5):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        self.interval = interval
        self.stop = threading.Event()
        self.cut = threading.Event()

    def run(self):
        while not self.stop.wait(self.interval):
            try:
                self.sock.sendall(b"X")
            except OSError:
                self.cut.set()
                return


def timed_health(server):
    started = time.monotonic()
    status, _, _ = server.request("GET", "/health", timeout=10)
    assert status == 200
    return time.monotonic() - started


def first_byte_time(port):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(1)
        return time.monotonic() - started


def test_idle_and_slowloris_connections_do_not_starve_health_pushes_or_viewers():
    replay = load_replay()
    with Server("--header-timeout", "4", "--max-connections-per-ip", "1000") as server:
        idle = [idle_socket(server.http_port) for _ in range(300)]
        loris = [Slowloris(server.http_port) for _ in range(20)]
        for s in loris:
            s.start()
        wait_for(lambda: server.metric("echelon_http_connections_open") >= 320, what="all connected")
        viewers = [SseReader(server.http_port, until=ends("r1")) for _ in range(4)]
        for v in viewers:
            v.start()
        health = [timed_health(server) for _ in range(20)]
        assert max(health) < 0.5, health
        assert first_byte_time(server.http_port) < 0.5
        server.put_world(replay["world"])
        started = time.monotonic()
        answers = server.push_replay_http(replay, "r1")
        assert all(status == 200 for status, _ in answers)
        assert time.monotonic() - started < 10
        for v in viewers:
            v.join(timeout=20)
            assert v.error is None and v.events[-1][1] == "replay_end"
        # The header deadline closes both kinds, without an answer for the
        # silent ones and with 408 for the slowloris ones.
        assert all(closed_by_server(s, 8) for s in idle[:20])
        for s in loris:
            s.stop.set()
        wait_for(lambda: server.metric("echelon_http_timeouts_total", '{kind="header"}') >= 320, timeout=10,
                 what="header timeouts counted")
        for s in idle + [s.sock for s in loris]:
            s.close()


def test_keepalive_connection_idle_for_5_s_is_closed():
    with Server() as server:
        sock = socket.create_connection(("127.0.0.1", server.http_port))
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        response = b""
        while b"core_connected" not in response:
            response += sock.recv(4096)
        assert response.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        # A second request on the same connection is served (keep-alive).
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        response = b""
        while b"core_connected" not in response:
            response += sock.recv(4096)
        started = time.monotonic()
        assert closed_by_server(sock, 9)
        assert 4.0 <= time.monotonic() - started <= 7.5
        assert server.metric("echelon_http_timeouts_total", '{kind="keepalive_idle"}') >= 1
        sock.close()


def test_request_body_slower_than_the_minimum_rate_gets_408_with_a_json_detail():
    with Server("--header-timeout", "1", "--body-min-rate-kb", "1") as server:
        sock = socket.create_connection(("127.0.0.1", server.http_port))
        sock.sendall(b"POST /push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n{")
        answer = b""
        sock.settimeout(0.3)
        started = time.monotonic()
        while time.monotonic() - started < 10 and b"\r\n\r\n{" not in answer:
            try:
                sock.sendall(b" " * 10)
            except OSError:
                pass
            try:
                got = sock.recv(4096)
                if not got:
                    break
                answer += got
            except (socket.timeout, TimeoutError):
                pass
            except ConnectionResetError:
                break
        assert answer.startswith(b"HTTP/1.1 408"), answer
        body = answer.split(b"\r\n\r\n", 1)[1]
        assert "slowly" in json.loads(body)["detail"]
        assert time.monotonic() - started < 6
        sock.close()
        assert server.metric("echelon_http_timeouts_total", '{kind="body_rate"}') == 1
        # Nothing else was held up.
        assert server.health()["status"] == "ok"


def refused_answer(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = b""
        while True:
            got = sock.recv(4096)
            if not got:
                return answer
            answer += got


@pytest.mark.parametrize("flag,limit,reason", [("--max-connections", 20, "max_connections"),
                                               ("--max-connections-per-ip", 20, "max_connections_per_ip")])
def test_connections_past_a_cap_are_refused_at_once_with_503(flag, limit, reason):
    with Server(flag, str(limit)) as server:
        held = []
        # The metrics request itself is the one open connection.
        wait_for(lambda: server.metric("echelon_http_connections_open") == 1, what="health checks closed")
        # ...and it counts until the server has seen it close (no way to ask
        # without opening another).
        time.sleep(0.5)
        for _ in range(limit):
            held.append(idle_socket(server.http_port))
        time.sleep(0.3)  # the front accepts them all
        started = time.monotonic()
        answer = refused_answer(server.http_port)
        assert time.monotonic() - started < 1.0
        assert answer.startswith(b"HTTP/1.1 503"), answer
        assert b"Retry-After: " in answer
        assert "retry later" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]
        for s in held:
            s.close()
        wait_for(lambda: server.request("GET", "/health")[0] == 200, what="slots again")
        assert server.metric("echelon_http_connections_refused_total", f'{{reason="{reason}"}}') >= 1


def test_many_viewers_each_get_every_event():
    replay = load_replay()
    with Server("--sse-max-clients", "300") as server:
        viewers = [SseReader(server.http_port, until=ends("many"), raw=True) for _ in range(200)]
        for v in viewers:
            v.start()
        wait_for(lambda: server.health()["clients"] == 200, timeout=20, what="200 viewers")
        server.put_world(replay["world"])
        assert all(status == 200 for status, _ in server.push_replay_http(replay, "many"))
        for v in viewers:
            v.join(timeout=30)
        reference = viewers[0].events
        assert reference[-1][1] == "replay_end"
        assert all(v.error is None and v.events == reference for v in viewers)


def test_a_push_stream_that_hangs_is_closed_and_sigterm_stays_fast():
    replay = load_replay()
    with Server("--push-idle-timeout", "1") as server:
        h, _ = server.put_world(replay["world"])
        hang = threading.Event()

        def one_chunk_then_hang():
            yield replay_pb2.ReplayChunk(replay_id="hang", world_ref=h, chunk_index=0, chunk_count=3,
                                         frames_json=json.dumps(replay["frames"][:10]).encode())
            hang.wait(30)

        with grpc.insecure_channel(server.grpc_target) as channel:
            stub = replay_pb2_grpc.ReplayServiceStub(channel)
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as error:
                stub.PushChunks(one_chunk_then_hang(), timeout=20)
            assert error.value.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)
            assert time.monotonic() - started < 4
            hang.set()
        # Another hanging stream while the server is asked to stop.
        hang = threading.Event()
        channel = grpc.insecure_channel(server.grpc_target)
        stub = replay_pb2_grpc.ReplayServiceStub(channel)
        future = stub.PushChunks.future(one_chunk_then_hang(), timeout=20)
        time.sleep(0.3)
        started = time.monotonic()
        assert server.stop(signal.SIGTERM, timeout=5) == 0
        assert time.monotonic() - started < 2.5
        hang.set()
        future.cancel()
        channel.close()


@pytest.mark.parametrize("down_s", [1.0, 2.0])
def test_gateway_finds_a_restarted_core_within_half_a_second(down_s):
    replay = load_replay()
    core = Server().start()
    try:
        with Server("--core", core.grpc_target) as gateway:
            wait_for(lambda: gateway.health()["core_connected"], what="gateway connected")
            core.stop(signal.SIGKILL)
            wait_for(lambda: not gateway.health()["core_connected"], what="gateway saw the core go")
            time.sleep(down_s)
            core = Server(http_port=core.http_port, grpc_port=core.grpc_port).start()
            back = time.monotonic()
            wait_for(lambda: gateway.health()["core_connected"], timeout=5, interval=0.01, what="reconnected")
            # The core answers /health after its gRPC port listens: 0.5 s
            # from listening, with margin for a loaded CI machine.
            assert time.monotonic() - back < 1.0
            gateway.put_world(replay["world"])
            assert all(status == 200 for status, _ in gateway.push_replay_http(replay, "after-restart"))
    finally:
        core.stop()


def push_binary():
    import os
    from harness import server_binary
    from pathlib import Path
    return os.environ.get("ECHELON_PUSH_BIN", str(Path(server_binary()).parents[1] / "clients" / "cpp" / "echelon-push"))


@pytest.mark.parametrize("down_s", [1.0, 2.0])
def test_echelon_push_finds_a_restarted_core_and_restores_the_lost_world(down_s, tmp_path):
    import subprocess
    replay = load_replay("w100x100x20_s1")
    path = tmp_path / "replay.json"
    path.write_text(json.dumps(replay))
    core = Server().start()
    try:
        viewer = SseReader(core.http_port, raw=True)
        viewer.start()
        push = subprocess.Popen([push_binary(), str(path), "--server", core.grpc_target, "--ack-each-chunk",
                                 "--chunk-frames", "5", "--replay-id", "restart"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_for(lambda: len(viewer.events) >= 4, timeout=20, what="the push under way")
        core.stop(signal.SIGKILL)
        time.sleep(down_s)
        # The restarted core has lost the world: the client stores it again.
        core = Server(http_port=core.http_port, grpc_port=core.grpc_port).start()
        back = time.monotonic()
        output, _ = push.communicate(timeout=60)
        assert push.returncode == 0, output
        # The retries it used went on the outage, none on the lost world; the
        # rest of the push ran on a channel that was back within half a second.
        retries = int(re.search(r"(\d+) retries", output).group(1))
        assert retries <= 5, output
        assert time.monotonic() - back < 15
    finally:
        core.stop()
