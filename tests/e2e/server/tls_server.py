"""The harness's Server with --tls-cert/--tls-key: every request, /health
included, goes over HTTPS verified against the test CA."""
import http.client
import ssl
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Server  # noqa: E402
from tls_certs import TlsFiles, make_tls_files  # noqa: E402,F401


class TlsServer(Server):
    def __init__(self, tls: TlsFiles, *extra_args, **kwargs):
        super().__init__("--tls-cert", tls.cert, "--tls-key", tls.key, *extra_args, **kwargs)
        self.tls = tls
        self.context = ssl.create_default_context(cafile=tls.ca)

    def connection(self, timeout=30):
        return http.client.HTTPSConnection("127.0.0.1", self.http_port, timeout=timeout, context=self.context)

    @property
    def url(self):
        return f"https://127.0.0.1:{self.http_port}"
