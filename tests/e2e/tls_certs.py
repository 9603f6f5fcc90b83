"""Throwaway TLS material for the end-to-end tests, made with the openssl CLI:
a CA and a server certificate it signed, valid for 127.0.0.1 and localhost,
plus a second, unrelated CA (a client that trusts only that one must fail)."""
import dataclasses
import subprocess
from pathlib import Path


@dataclasses.dataclass
class TlsFiles:
    ca: str  # PEM of the CA that signed `cert`
    cert: str
    key: str
    other_ca: str  # a CA that signed nothing here


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make_ca(directory: Path, name: str):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2", "-subj", f"/CN=Echelon test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=directory)


def make_tls_files(directory: Path) -> TlsFiles:
    _make_ca(directory, "ca")
    _make_ca(directory, "other-ca")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost", cwd=directory)
    (directory / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "server.ext", cwd=directory)
    return TlsFiles(ca=str(directory / "ca.pem"), cert=str(directory / "server.pem"),
                    key=str(directory / "server.key"), other_ca=str(directory / "other-ca.pem"))
