"""Issue 15, view login: POST /session {"token"} sets an HttpOnly,
SameSite=Strict session cookie (Secure under TLS) that opens /events, worlds
and nav like the bearer header; DELETE /session logs out; wrong tokens are 401
with a detail and rate-limited per address (429 + Retry-After); GET /session
tells a viewer whether it must log in."""
import contextlib
import json

import pytest

from harness import Server, SseReader, load_replay, wait_for, world_hash
from tls_server import TlsServer, make_tls_files


def login(server, token, headers=None):
    status, out_headers, data = server.request("POST", "/session", {"token": token},
                                               {"Content-Type": "application/json", **(headers or {})})
    return status, out_headers, json.loads(data) if data else None


def cookie_of(set_cookie):
    return set_cookie.split(";", 1)[0]


def test_login_cookie_opens_events_worlds_and_nav_and_logout_closes_them():
    replay = load_replay()
    with Server("--view-token", "look", "--push-token", "pusher") as server:
        h = world_hash(replay["world"])
        server.request("PUT", f"/worlds/{h}", json.dumps(replay["world"]).encode(), {"Authorization": "Bearer pusher"})
        assert server.json_request("GET", "/session")[1] == {
            "login_required": True, "authenticated": False, "name": None, "via": None, "expires_in_s": None}
        assert server.request("GET", "/events")[0] == 401

        status, headers, body = login(server, "look")
        assert status == 200 and body["name"] == "view-token" and body["expires_in_s"] == 12 * 3600
        set_cookie = headers["Set-Cookie"]
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"):
            assert attribute in set_cookie
        assert "Secure" not in set_cookie  # plain HTTP
        assert "look" not in set_cookie  # the cookie is a session id, not the token
        cookie = {"Cookie": cookie_of(set_cookie)}

        session = server.json_request("GET", "/session", headers=cookie)[1]
        assert session["authenticated"] and session["via"] == "cookie" and session["name"] == "view-token"
        assert 0 < session["expires_in_s"] <= 43200
        assert server.request("GET", f"/worlds/{h}", headers=cookie)[0] == 200
        assert server.request("HEAD", f"/worlds/{h}", headers=cookie)[0] == 200
        assert server.request("POST", "/nav/graph", {"world_hash": h}, cookie)[0] == 200
        reader = SseReader(server.http_port, headers=cookie)
        reader.start()
        wait_for(lambda: server.health()["clients"] == 1, what="viewer with a cookie")
        reader.close()

        status, headers, _ = server.request("DELETE", "/session", headers=cookie)
        assert status == 200 and "Max-Age=0" in headers["Set-Cookie"]
        assert server.request("GET", "/events", headers=cookie)[0] == 401
        assert server.request("GET", f"/worlds/{h}", headers=cookie)[0] == 401
        assert not server.json_request("GET", "/session", headers=cookie)[1]["authenticated"]
        # The bearer header still works as before.
        assert server.request("GET", f"/worlds/{h}", headers={"Authorization": "Bearer look"})[0] == 200


def test_wrong_tokens_are_401_then_429_with_retry_after():
    with Server("--view-token", "look") as server:
        for _ in range(10):
            status, headers, body = login(server, "guess")
            assert status == 401 and body["detail"] == "wrong token"
            assert "Set-Cookie" not in headers
        status, headers, body = login(server, "look")  # even the right one, while blocked
        assert status == 429 and "too many wrong tokens" in body["detail"]
        assert 1 <= int(headers["Retry-After"]) <= 60
        # A wrong bearer header counts too, and is refused while blocked.
        assert server.request("GET", "/events", headers={"Authorization": "Bearer look"})[0] == 429
        # Requests without a token are not guessing: still 401, not 429.
        assert server.request("GET", "/events")[0] == 401
        assert "guess" not in server.logs()


def test_login_bad_bodies_are_422_and_open_servers_need_no_login():
    with Server("--view-token", "look") as server:
        for body in (b"not json", b"{}", b'{"token": 5}'):
            status, _, data = server.request("POST", "/session", body)
            assert status == 422 and json.loads(data)["detail"]
        assert server.request("PUT", "/session")[0] == 405
    with Server() as server:
        assert server.json_request("GET", "/session")[1] == {
            "login_required": False, "authenticated": True, "name": "anonymous", "via": None, "expires_in_s": None}
        status, headers, body = login(server, "anything")
        assert status == 200 and body == {"status": "ok", "login_required": False}
        assert "Set-Cookie" not in headers


def test_session_cookie_is_secure_under_tls(tmp_path):
    tls = make_tls_files(tmp_path)
    with TlsServer(tls, "--view-token", "look") as server:
        status, headers, _ = login(server, "look")
        assert status == 200 and "; Secure" in headers["Set-Cookie"]
        cookie = {"Cookie": cookie_of(headers["Set-Cookie"])}
        assert server.json_request("GET", "/session", headers=cookie)[1]["authenticated"]


@pytest.mark.parametrize("gateway_alone", [False, True], ids=["one-process", "gateway-with-core"])
def test_cookie_reaches_a_core_that_wants_the_token(gateway_alone):
    """A --core gateway presents the session's token to the core for worlds."""
    replay = load_replay()
    env = {"ECHELON_VIEW_TOKEN": "look", "ECHELON_PUSH_TOKEN": "pusher"}
    with Server(env=env) as core:
        h = world_hash(replay["world"])
        core.request("PUT", f"/worlds/{h}", json.dumps(replay["world"]).encode(), {"Authorization": "Bearer pusher"})
        server = Server("--core", core.grpc_target, env=env) if gateway_alone else core
        with server if gateway_alone else contextlib.nullcontext(core):
            status, headers, _ = login(server, "look")
            assert status == 200
            cookie = {"Cookie": cookie_of(headers["Set-Cookie"])}
            assert server.request("GET", f"/worlds/{h}", headers=cookie)[0] == 200
            assert server.request("GET", f"/worlds/{h}")[0] == 401
