"""The Python clients against a server with TLS (--tls-cert/--tls-key):
push_replay(..., cafile=...) over HTTPS and ReplayClient(...,
root_certificates=...) over gRPC with TLS; without the CA both fail with a
message that says why."""
import http.client
import ssl
import sys
from pathlib import Path

import pytest

from conftest import ServerProcess, load_replay
from echelon_replay import ReplayClient, ReplayPushError, push_replay, world_hash

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tls_certs import make_tls_files  # noqa: E402


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls_files(tmp_path_factory.mktemp("tls"))


class TlsServerProcess(ServerProcess):
    """ServerProcess whose readiness probe speaks HTTPS."""

    def __init__(self, tls, *extra_args):
        super().__init__("--tls-cert", tls.cert, "--tls-key", tls.key, *extra_args)
        self.context = ssl.create_default_context(cafile=tls.ca)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.http_port}"

    def _healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"echelon-server exited with {self.proc.returncode}:\n{self.logs()}")
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", self.http_port, timeout=1, context=self.context)
            conn.request("GET", "/health")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False


@pytest.fixture
def tls_server(tls):
    server = TlsServerProcess(tls)
    try:
        yield server.start()
    finally:
        server.kill()


def stored(server, digest):
    conn = http.client.HTTPSConnection("127.0.0.1", server.http_port, timeout=5, context=server.context)
    conn.request("HEAD", f"/worlds/{digest}")
    status = conn.getresponse().status
    conn.close()
    return status == 200


def test_push_replay_over_https_with_cafile(tls, tls_server):
    replay = load_replay("w40x40x20_s3")
    result = push_replay(f"{tls_server.url}/push", replay, cafile=tls.ca, replay_id="py-https")
    assert result.ok, result.error
    assert result.chunks_sent == result.chunk_count > 0
    assert stored(tls_server, world_hash(replay["world"]))


def test_push_replay_without_the_ca_fails_at_once_with_a_clear_error(tls, tls_server):
    replay = load_replay("w40x40x20_s3")
    for cafile in (None, tls.other_ca):
        result = push_replay(f"{tls_server.url}/push", replay, cafile=cafile, retries=3)
        assert not result.ok
        assert "TLS certificate is not trusted" in result.error and "cafile=" in result.error
        assert result.retries == 0  # a certificate does not become trusted by retrying
    with pytest.raises(ValueError):  # a CA for a plaintext URL is a mistake
        from echelon_replay.http_push import _tls_context
        _tls_context("http://127.0.0.1:1", tls.ca)


def test_replay_client_over_tls_with_root_certificates(tls, tls_server):
    replay = load_replay("w40x40x20_s3")
    for roots in (Path(tls.ca).read_bytes(), tls.ca):  # PEM bytes or a path
        with ReplayClient(f"localhost:{tls_server.grpc_port}", root_certificates=roots, backoff=0.05) as client:
            summary = client.push_replay(replay, replay_id="py-grpc-tls")
            assert summary.chunk_count > 0
            events = client.subscribe(after_id=0, omit_world=True, timeout=10)
            first = next(events)
            events.close()
            assert first.HasField("replay_start") and first.replay_start.replay_id == "py-grpc-tls"


def test_replay_client_without_the_ca_fails_with_a_clear_error(tls, tls_server):
    replay = load_replay("w40x40x20_s3")
    with ReplayClient(f"localhost:{tls_server.grpc_port}", root_certificates=Path(tls.other_ca).read_bytes(),
                      retries=0, timeout=5) as client:
        with pytest.raises(ReplayPushError) as error:
            client.push_replay(replay)
        assert "UNAVAILABLE" in str(error.value) and "TLS: is the server's certificate signed" in str(error.value)
    with ReplayClient(f"localhost:{tls_server.grpc_port}", retries=0, timeout=5) as client:
        with pytest.raises(ReplayPushError) as error:
            client.push_replay(replay)
        assert "if the server uses TLS, pass root_certificates=" in str(error.value)
