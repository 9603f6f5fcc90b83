"""ReplayClient.list_replays() and download() against the real server's library."""

import json

import grpc
import pytest

from conftest import load_replay
from echelon_replay import ReplayClient


@pytest.fixture
def client(server):
    with ReplayClient(server.grpc_target, backoff=0.05) as c:
        yield c


def test_list_and_download_round_trip(server, client, tmp_path):
    replay = load_replay("w40x40x20_s3")
    replay["meta"] = {"episode": 3}
    replay["run"] = {"name": "ppo-1"}
    client.push_replay(replay, chunk_size=25, replay_id="first")
    client.push_replay(dict(replay, run="other"), chunk_size=40, replay_id="second")

    replays, cursor = client.list_replays()
    assert [r["replay_id"] for r in replays] == ["second", "first"] and cursor is None
    first = replays[1]
    assert first["complete"] and first["chunk_count"] == 5 and first["chunks_stored"] == 5
    assert first["frames"] == len(replay["frames"]) and first["run"] == {"name": "ppo-1"}
    page, cursor = client.list_replays(limit=1)
    assert [r["replay_id"] for r in page] == ["second"] and cursor
    assert [r["replay_id"] for r in client.list_replays(limit=1, before=cursor)[0]] == ["first"]
    assert [r["replay_id"] for r in client.list_replays(run="ppo-1")[0]] == ["first"]

    path = tmp_path / "first.replay.json"
    summary = client.download("first", str(path))
    assert summary["replay_id"] == "first"
    doc = json.loads(path.read_text())
    assert doc["frames"] == replay["frames"] and doc["world"] == replay["world"]
    assert doc["meta"] == {"episode": 3} and doc["run"] == {"name": "ppo-1"}

    # push -> pull -> push: the same frames again.
    client.push_replay(doc, chunk_size=17, replay_id="third")
    again = tmp_path / "third.replay.json"
    client.download("third", str(again))
    assert json.loads(again.read_text())["frames"] == replay["frames"]


def test_download_of_an_unknown_replay_raises_not_found(server, client, tmp_path):
    with pytest.raises(grpc.RpcError) as error:
        client.download("nope", str(tmp_path / "x.json"))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (tmp_path / "x.json").exists()
