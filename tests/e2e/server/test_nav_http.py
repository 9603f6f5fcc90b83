"""POST /nav/graph and /nav/path through the real binary against the goldens."""
import gzip
import json
import math

import pytest

from harness import FIXTURES

WORLDS = sorted(p.stem for p in (FIXTURES / "worlds").glob("*.json"))


def close(a, b, path="$"):
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), path
        assert math.isclose(a, b, rel_tol=0, abs_tol=1e-9), (path, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (path, a.keys(), b.keys() if isinstance(b, dict) else b)
        for k in a:
            close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), (path, len(a), len(b) if isinstance(b, list) else b)
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


@pytest.mark.parametrize("name", WORLDS)
def test_graph_and_paths_match_the_goldens(server, name):
    world_text = (FIXTURES / "worlds" / f"{name}.json").read_text()
    paths = json.loads((FIXTURES / "nav" / f"{name}.paths.json").read_text())
    h = paths[0]["request"]["world_hash"]
    assert server.request("PUT", f"/worlds/{h}", world_text.encode())[0] == 200

    status, headers, body = server.request("POST", "/nav/graph", json.dumps({"world_hash": h}).encode())
    assert status == 200
    assert headers["ETag"] == f'"{h}"'
    close(json.loads(body), json.loads((FIXTURES / "nav" / f"{name}.graph.json").read_text()))

    status, headers, zipped = server.request("POST", "/nav/graph", json.dumps({"world_hash": h}).encode(),
                                             {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped) == body

    for case in paths:
        status, _, answer = server.request("POST", "/nav/path", json.dumps(case["request"]).encode())
        assert status == 200
        close(json.loads(answer), case["response"])


def test_nav_errors(server):
    status, _, body = server.request("POST", "/nav/graph", b'{"world_hash": "0123456789abcdef"}')
    assert status == 404 and json.loads(body)["detail"]
    status, _, body = server.request("POST", "/nav/path", json.dumps(
        {"world_hash": "0123456789abcdef", "start_pos": [1, 2, 3], "goal_pos": [1, 2, 3]}).encode())
    assert status == 404
    name = WORLDS[0]
    h = json.loads((FIXTURES / "nav" / f"{name}.paths.json").read_text())[0]["request"]["world_hash"]
    server.request("PUT", f"/worlds/{h}", (FIXTURES / "worlds" / f"{name}.json").read_bytes())
    for bad in ([1, 2], [1, "x", 3], None, [1, 2, 1e400], "abc"):
        body = json.dumps({"world_hash": h, "start_pos": bad, "goal_pos": [1, 2, 3]}).replace("Infinity", "1e400")
        status, _, answer = server.request("POST", "/nav/path", body.encode())
        assert status == 422, (bad, answer)
        assert json.loads(answer)["detail"]
    status, _, _ = server.request("POST", "/nav/graph", b'{"nope": 1}')
    assert status == 422
