"""Issue 15, cross-site requests: a state-changing request whose Origin is not
the server's own is 403 with a detail, whatever its route; requests without
Origin pass; --allowed-hosts refuses other Host headers (DNS rebinding); every
answer carries nosniff and a Content-Security-Policy."""
import base64
import hashlib
import json
import re
from pathlib import Path

from harness import Server, load_replay, world_hash

VIEWER_INDEX = Path(__file__).resolve().parents[3] / "viewer" / "index.html"


def chunk_body(replay, replay_id):
    return json.dumps({"replay_id": replay_id, "world_ref": world_hash(replay["world"]), "chunk_index": 0,
                       "chunk_count": 1, "frames": replay["frames"][:3]}).encode()


def test_cross_origin_state_changes_are_refused_and_others_pass():
    replay = load_replay()
    with Server() as server:
        own = f"http://127.0.0.1:{server.http_port}"
        h = world_hash(replay["world"])
        world = json.dumps(replay["world"]).encode()
        evil = {"Origin": "http://evil.example", "Content-Type": "text/plain"}
        requests = [("PUT", f"/worlds/{h}", world), ("POST", "/push", chunk_body(replay, "x")),
                    ("POST", "/session", b'{"token":"t"}'), ("DELETE", "/session", None),
                    ("POST", "/nav/graph", b'{"world_hash":"0123456789abcdef"}')]
        for method, path, body in requests:
            status, headers, data = server.request(method, path, body, evil)
            assert status == 403, (method, path, status)
            assert "cross-origin" in json.loads(data)["detail"] and "evil.example" in json.loads(data)["detail"]
            assert headers["Connection"] == "close"
        assert server.request("POST", "/push", chunk_body(replay, "x"), {"Origin": "null"})[0] == 403
        assert server.health()["status"] == "ok"
        assert "refused: cross-origin POST" in server.logs()

        # Same origin (the viewer) and no Origin (trainers, curl) pass.
        assert server.request("PUT", f"/worlds/{h}", world, {"Origin": own})[0] == 200
        assert server.request("POST", "/push", chunk_body(replay, "same"), {"Origin": own})[0] == 200
        assert server.request("POST", "/push", chunk_body(replay, "none"))[0] == 200
        # Reads are not state changes: a cross-origin GET is answered (and
        # unreadable by the page without CORS headers, which we never send).
        status, headers, _ = server.request("GET", f"/worlds/{h}", headers=evil)
        assert status == 200 and "Access-Control-Allow-Origin" not in headers


def test_allowed_hosts_refuse_other_host_headers():
    with Server("--allowed-hosts", "127.0.0.1,replays.lan") as server:
        assert server.request("GET", "/health")[0] == 200  # Host: 127.0.0.1:port
        assert server.request("GET", "/health", headers={"Host": "replays.lan:8090"})[0] == 200
        status, _, data = server.request("GET", "/events", headers={"Host": "evil.example:8090"})
        assert status == 421 and "evil.example" in json.loads(data)["detail"]
        assert server.request("POST", "/push", b"{}", {"Host": "rebound.example"})[0] == 421


def test_security_headers_on_the_viewer_and_the_api():
    with Server() as server:
        status, headers, body = server.request("GET", "/")
        assert status == 200
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        # The inline import map is allowed by its hash, computed from the page served.
        for script in re.findall(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", body, re.S):
            digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
            assert f"'sha256-{digest}'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        # A revalidated page keeps its policy (a 304 replaces cached headers).
        status, headers, _ = server.request("GET", "/", headers={"If-None-Match": headers["ETag"]})
        assert status == 304 and headers["Content-Security-Policy"] == policy
        for path in ("/health", "/metrics", "/src/main.js", "/no-such-thing"):
            status, headers, _ = server.request("GET", path)
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "default-src 'none'" in server.request("GET", "/health")[1]["Content-Security-Policy"]
