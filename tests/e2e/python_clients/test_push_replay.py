"""push_replay (HTTP, stdlib only) against the real server, read back by SSE viewers."""

import copy
import logging

import pytest

import echelon_replay
from conftest import assert_delivered_intact, free_port, load_replay
from echelon_replay import push_replay, world_hash


def test_delivers_fixture_replay_intact_with_meta_and_run(server, sse_factory):
    replay = load_replay()
    replay["meta"] = {"episode": 42, "update": 100}
    replay["run"] = {"name": "ppo-7", "seed": 3}
    viewers = [sse_factory(server), sse_factory(server)]
    before = echelon_replay.stats.replays_pushed

    result = push_replay(server.url + "/push", replay, chunk_size=100, replay_id="py-http")

    assert result.ok, result.error
    assert (result.chunk_count, result.chunks_sent, result.chunks_failed) == (5, 5, 0)
    assert result.world_hash == world_hash(replay["world"])
    assert echelon_replay.stats.replays_pushed == before + 1
    for viewer in viewers:
        start = assert_delivered_intact(viewer, "py-http", replay, 5)
        assert start["meta"] == {"episode": 42, "update": 100}
        assert start["world_ref"] == result.world_hash


def test_default_replay_id_and_base_url(server, sse_factory):
    replay = load_replay("w40x40x20_s3")
    viewer = sse_factory(server)
    result = push_replay(server.url, replay, chunk_size=50)  # base URL, no "/push"
    assert result.ok, result.error
    assert len(result.replay_id) == 12
    assert_delivered_intact(viewer, result.replay_id, replay, 3)


def test_world_is_uploaded_only_when_missing(server):
    replay = load_replay("w40x40x20_s3")
    first = echelon_replay.stats.worlds_uploaded
    assert push_replay(server.url + "/push", replay).ok
    assert echelon_replay.stats.worlds_uploaded == first + 1
    assert push_replay(server.url + "/push", replay).ok
    assert echelon_replay.stats.worlds_uploaded == first + 1


def test_never_raises_when_the_server_is_unreachable(caplog):
    replay = load_replay("w40x40x20_s3")
    failed = echelon_replay.stats.replays_failed
    with caplog.at_level(logging.WARNING, logger="echelon_replay"):
        result = push_replay(f"http://127.0.0.1:{free_port()}/push", replay, retries=2, backoff=0.01)
    assert not result.ok
    assert result.retries == 2
    assert "refused" in result.error.lower()
    assert echelon_replay.stats.replays_failed == failed + 1
    assert any("retry 2/2" in r.getMessage() for r in caplog.records)
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_never_raises_on_a_malformed_replay(caplog):
    with caplog.at_level(logging.ERROR, logger="echelon_replay"):
        result = push_replay("http://127.0.0.1:1/push", {"frames": []})
        nan_world = push_replay("http://127.0.0.1:1/push", {"world": {"x": float("nan")}, "frames": [{}]})
    assert not result.ok and "KeyError" in result.error
    assert not nan_world.ok and "ValueError" in nan_world.error
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 2


def test_a_rejected_chunk_is_counted_not_retried(server, sse_factory):
    replay = load_replay("w40x40x20_s3")
    assert push_replay(server.url, replay, chunk_size=100, replay_id="py-conflict").ok
    # The same replay id with other chunking conflicts with what the server has.
    failed = echelon_replay.stats.chunks_failed
    result = push_replay(server.url, replay, chunk_size=7, replay_id="py-conflict")
    assert not result.ok
    assert result.retries == 0
    assert result.chunks_failed >= 1
    assert echelon_replay.stats.chunks_failed >= failed + 1


def test_resent_replay_is_not_broadcast_twice(server, sse_factory):
    replay = load_replay("w40x40x20_s3")
    viewer = sse_factory(server)
    assert push_replay(server.url, replay, replay_id="py-twice").ok
    assert push_replay(server.url, replay, replay_id="py-twice").ok
    # Events are ordered: once a later replay ended, a re-broadcast would be in.
    marker = copy.deepcopy(replay)
    assert push_replay(server.url, marker, replay_id="py-marker").ok
    viewer.wait(lambda r: r.ended("py-marker"), what="marker replay")
    assert viewer.chunk_counts("py-twice") == {0: 1, 1: 1}


def test_push_token_from_argument_or_environment(server_factory, monkeypatch):
    server = server_factory("--push-token", "s3cret")
    replay = load_replay("w40x40x20_s3")
    monkeypatch.delenv("ECHELON_PUSH_TOKEN", raising=False)
    refused = push_replay(server.url, replay, retries=0)
    if refused.ok:
        pytest.xfail("this server accepts pushes without its --push-token")
    assert not refused.ok and ("401" in refused.error or "403" in refused.error), refused.error
    assert push_replay(server.url, replay, token="s3cret").ok
    monkeypatch.setenv("ECHELON_PUSH_TOKEN", "s3cret")
    assert push_replay(server.url, replay).ok
