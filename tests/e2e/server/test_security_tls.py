"""Issue 15, TLS: --tls-cert/--tls-key serve HTTPS on the HTTP port and TLS on
gRPC; clients and --core gateways verify with a CA (--tls-ca); a client
without the CA fails with a clear message; plain HTTP is not served."""
import http.client
import json
import os
import ssl
import subprocess
from pathlib import Path

import grpc
import pytest

from harness import Server, SseReader, ends, load_replay, server_binary, wait_for
from tls_server import TlsServer, make_tls_files
from echelon.replay.v1 import replay_pb2, replay_pb2_grpc

PUSH_BIN = os.environ.get("ECHELON_PUSH_BIN",
                          str(Path(server_binary()).resolve().parents[1] / "clients" / "cpp" / "echelon-push"))
REPLAY_FILE = str(Path(__file__).resolve().parents[2] / "fixtures" / "replays" / "w40x40x20_s3.replay.json")


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


def push_cli(*args):
    if not os.path.exists(PUSH_BIN):
        pytest.skip(f"no echelon-push at {PUSH_BIN}")
    return subprocess.run([PUSH_BIN, REPLAY_FILE, "-q", *args], capture_output=True, text=True, timeout=60)


def grpc_events(target, ca_path, after_id=0, count=3):
    """The first `count` events of a TLS Subscribe."""
    credentials = grpc.ssl_channel_credentials(root_certificates=Path(ca_path).read_bytes())
    with grpc.secure_channel(target, credentials) as channel:
        stub = replay_pb2_grpc.ReplayServiceStub(channel)
        call = stub.Subscribe(replay_pb2.SubscribeRequest(after_id=after_id, omit_world=True), timeout=10)
        events = []
        for event in call:
            events.append(event)
            if len(events) == count:
                call.cancel()
                break
        return events


def test_push_view_and_subscribe_over_tls(tls):
    replay = load_replay()
    with TlsServer(tls) as server:
        reader = SseReader(server.http_port, until=ends("tls-http"), connect=lambda: server.connection(60))
        reader.start()
        wait_for(lambda: server.health()["clients"] == 1, what="HTTPS viewer")
        server.put_world(replay["world"])
        answers = server.push_replay_http(replay, "tls-http")
        assert all(status == 200 for status, _ in answers), answers
        reader.join(timeout=20)
        assert reader.status == 200 and reader.error is None
        assert reader.of_type("replay_end")[0]["replay_id"] == "tls-http"

        # gRPC over TLS: the same replay from the retained log.
        events = grpc_events(f"localhost:{server.grpc_port}", tls.ca)
        assert events[0].HasField("replay_start") and events[0].replay_start.replay_id == "tls-http"

        # echelon-push over gRPC+TLS and over HTTPS, with the CA.
        grpc_push = push_cli("--server", f"127.0.0.1:{server.grpc_port}", "--tls-ca", tls.ca, "--replay-id", "g")
        assert grpc_push.returncode == 0, grpc_push.stderr
        http_push = push_cli("--http", f"{server.url}/push", "--tls-ca", tls.ca, "--replay-id", "h")
        assert http_push.returncode == 0, http_push.stderr
        assert "(HTTPS only)" in server.logs() and "(TLS)" in server.logs()


def test_plain_http_is_not_served_on_a_tls_port(tls):
    with TlsServer(tls) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=5)
        with pytest.raises((http.client.HTTPException, OSError)):
            conn.request("GET", "/health")
            conn.getresponse().read()
        conn.close()
        assert server.health()["status"] == "ok"  # the failed handshake did no harm


def test_clients_without_the_ca_fail_with_a_clear_message(tls):
    with TlsServer(tls) as server:
        # The system's CAs (or another CA) do not trust the test CA.
        for context in (ssl.create_default_context(), ssl.create_default_context(cafile=tls.other_ca)):
            conn = http.client.HTTPSConnection("127.0.0.1", server.http_port, timeout=5, context=context)
            with pytest.raises(ssl.SSLCertVerificationError):
                conn.request("GET", "/health")
            conn.close()
        https = push_cli("--http", f"{server.url}/push", "--retries", "0")
        assert https.returncode == 5, https.stderr
        assert "TLS certificate is not trusted" in https.stderr and "--tls-ca" in https.stderr
        wrong_ca = push_cli("--server", f"127.0.0.1:{server.grpc_port}", "--tls-ca", tls.other_ca,
                            "--retries", "0", "--timeout", "5")
        assert wrong_ca.returncode == 4, wrong_ca.stderr
        assert "TLS: is the server's certificate signed by the --tls-ca given" in wrong_ca.stderr
        plaintext = push_cli("--server", f"127.0.0.1:{server.grpc_port}", "--retries", "0", "--timeout", "5")
        assert plaintext.returncode == 4, plaintext.stderr
        assert "if the server uses TLS, pass --tls-ca" in plaintext.stderr


def test_core_gateway_verifies_the_core_with_tls_ca(tls):
    replay = load_replay()
    with TlsServer(tls) as core:
        # The gateway itself serves plain HTTP here; its link to the core is TLS.
        with Server("--core", f"localhost:{core.grpc_port}", "--tls-ca", tls.ca) as gateway:
            wait_for(lambda: gateway.health()["core_connected"], what="TLS link to the core")
            reader = SseReader(gateway.http_port, until=ends("via-gateway"))
            reader.start()
            wait_for(lambda: gateway.health()["clients"] == 1, what="viewer")
            gateway.put_world(replay["world"])
            assert all(s == 200 for s, _ in gateway.push_replay_http(replay, "via-gateway"))
            reader.join(timeout=20)
            assert reader.of_type("replay_end")[0]["replay_id"] == "via-gateway"
        # With the wrong CA the gateway never connects, and says so in /health.
        with Server("--core", f"localhost:{core.grpc_port}", "--tls-ca", tls.other_ca) as gateway:
            assert gateway.health()["core_connected"] is False
            assert gateway.request("GET", "/worlds/0123456789abcdef")[0] in (502, 503, 504)


def test_tls_settings_are_checked_at_start(tls, tmp_path):
    def start(*args):
        return subprocess.run([server_binary(), "--host", "127.0.0.1", "--port", "0", "--grpc-port", "0", *args],
                              capture_output=True, text=True, timeout=20)

    alone = start("--tls-cert", tls.cert)
    assert alone.returncode == 2 and "--tls-cert and --tls-key" in alone.stderr
    missing = start("--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", tls.key)
    assert missing.returncode == 2 and "nope.pem" in missing.stderr
    other_key = tmp_path / "other.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-out", str(other_key)], check=True, capture_output=True)
    mismatch = start("--tls-cert", tls.cert, "--tls-key", str(other_key))
    assert mismatch.returncode != 0 and "key does not belong to the certificate" in mismatch.stderr
    assert start("--tls-ca", tls.ca).returncode == 2
