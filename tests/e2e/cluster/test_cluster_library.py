"""The replay library in cluster mode (issue 17, item 5): every core keeps a
complete copy of the shared replay log in its own library (--data-dir), fed
from the log whichever core accepted a chunk; pin, unpin and delete go through
the log and reach every core's copy. A replay whose chunks were pushed half to
one core and half to the other is listed complete and downloads byte for byte
from both (directly and through a gateway); a core restarted after a SIGKILL
and a core started late catch up with what the log got meanwhile."""
import contextlib
import json
import tempfile
from pathlib import Path

from harness import Server, SseReader, ends, load_replay, wait_for, world_hash
from nats_cluster import NatsCluster

CHUNK_FRAMES = 4
FRAMES = 24  # six chunks


def chunk(replay, replay_id, index, run=None):
    count = FRAMES // CHUNK_FRAMES
    body = {"replay_id": replay_id, "world_ref": world_hash(replay["world"]), "chunk_index": index,
            "chunk_count": count, "frames": replay["frames"][index * CHUNK_FRAMES:(index + 1) * CHUNK_FRAMES],
            "meta": {"episode": 7}}
    if run is not None:
        body["run"] = run
    return body


def push(server, replay, replay_id, indices, run=None):
    for i in indices:
        status, answer = server.json_request("POST", "/push", chunk(replay, replay_id, i, run))
        assert status == 200, answer


def summary(server, replay_id):
    """The replay's entry in GET /replays, or None."""
    status, body = server.json_request("GET", "/replays?limit=1000")
    assert status == 200, body
    return next((r for r in body["replays"] if r["replay_id"] == replay_id), None)


def complete(server, replay_id):
    entry = summary(server, replay_id)
    return entry if entry is not None and entry["complete"] else None


def download(server, replay_id):
    status, _, data = server.request("GET", f"/replays/{replay_id}")
    assert status == 200, data
    return data


def test_every_core_keeps_the_whole_log_and_library_changes_reach_every_copy():
    replay = load_replay()
    pushed_frames = replay["frames"][:FRAMES]
    with contextlib.ExitStack() as stack:
        nats = stack.enter_context(NatsCluster(3))
        cluster_flags = ("--nats", nats.urls, "--nats-replicas", "3", "--nats-max-gb", "0.5")
        core_a = stack.enter_context(Server(*cluster_flags))
        core_b = stack.enter_context(Server(*cluster_flags))
        gateway = stack.enter_context(Server("--core", core_a.grpc_target, *cluster_flags, "--no-library"))
        viewer = SseReader(gateway.http_port, until=ends("r3"), raw=True).start()
        stack.callback(viewer.close)
        wait_for(lambda: gateway.health()["clients"] == 1, what="viewer connected")

        # A trainer failing over: chunks 0-2 to core A, 3-5 to core B.
        status, answer = core_a.put_world(replay["world"])[1]
        assert status in (200, 201), answer
        push(core_a, replay, "r1", range(0, 3), run="ppo-7")
        push(core_b, replay, "r1", range(3, 6), run="ppo-7")

        # Listed complete by core B as soon as it acknowledged the last chunk
        # (a core's acknowledgement waits for its own copy), and through a
        # gateway in front of core A once A's copy followed the log.
        listed_b = complete(core_b, "r1")
        assert listed_b, summary(core_b, "r1")
        listed_a = wait_for(lambda: complete(gateway, "r1"), what="r1 complete on core A")
        for entry in (listed_a, listed_b):
            assert entry["chunks_stored"] == entry["chunk_count"] == 6
            assert entry["frames"] == FRAMES and entry["meta"] == {"episode": 7} and entry["run"] == "ppo-7"
            assert entry["world_ref"] == world_hash(replay["world"])
        # Both copies show the log's times and sizes, not their own.
        for key in ("started_at", "finished_at", "bytes"):
            assert listed_a[key] == listed_b[key], key
        # Downloads: the frames as pushed, byte-identical from both cores.
        from_a, from_b = download(gateway, "r1"), download(core_b, "r1")
        assert from_a == from_b
        doc = json.loads(from_a)
        assert doc["frames"] == pushed_frames and doc["world"] == replay["world"] and doc["run"] == "ppo-7"
        status, one = core_b.json_request("GET", "/replays/r1/chunks/1")
        assert status == 200 and one["frames"] == pushed_frames[4:8]

        # A replay being pushed to core A is listed on core B as partial and
        # live; a complete one is not live.
        push(core_a, replay, "r4", range(2))
        partial = wait_for(lambda: (e := summary(core_b, "r4")) and e["chunks_stored"] == 2 and e,
                           what="r4 partial on core B")
        assert partial["complete"] is False and partial["live"] is True and partial["chunk_count"] == 6
        assert summary(core_b, "r1")["live"] is False

        # Core B dies; meanwhile r2 is pushed and r1 pinned through core A.
        core_b.kill()
        push(core_a, replay, "r2", range(6))
        assert complete(gateway, "r2")
        status, pinned = gateway.json_request("POST", "/replays/r1/pin")
        assert status == 200 and pinned["pinned"] is True, pinned
        # The core that answered shows the change at once.
        assert summary(gateway, "r1")["pinned"] is True

        # Restarted on its data dir, core B catches up from the log.
        core_b.start()
        wait_for(lambda: complete(core_b, "r2"), what="r2 on the restarted core B")
        wait_for(lambda: summary(core_b, "r1")["pinned"], what="r1 pinned on core B")
        assert download(core_b, "r2") == download(gateway, "r2")
        # It stored from the log what it missed and keeps up again.
        assert core_b.metric("echelon_library_copy_chunks_total") >= 6
        wait_for(lambda: core_b.metric("echelon_library_copy_current") == 1, what="core B keeps up")
        assert core_b.metric("echelon_library_copy_skipped_total") == 0
        assert json.loads(download(core_b, "r2"))["frames"] == pushed_frames

        # Changes through core B reach core A: unpin r1, delete r2.
        status, unpinned = core_b.json_request("DELETE", "/replays/r1/pin")
        assert status == 200 and unpinned["pinned"] is False, unpinned
        assert core_b.request("DELETE", "/replays/r2")[0] == 200
        assert core_b.request("GET", "/replays/r2")[0] == 404
        wait_for(lambda: gateway.request("GET", "/replays/r2")[0] == 404, what="r2 deleted on core A")
        wait_for(lambda: summary(gateway, "r1")["pinned"] is False, what="r1 unpinned on core A")
        assert core_b.request("DELETE", "/replays/r2")[0] == 404

        # A core started now, with an empty data dir, gets the whole history
        # with the changes applied: r1 unpinned, r2 gone.
        core_c = stack.enter_context(Server(*cluster_flags))
        wait_for(lambda: complete(core_c, "r1"), what="r1 on the new core C")
        # It applies the log in order: once it keeps up, r2's delete is in.
        wait_for(lambda: core_c.metric("echelon_library_copy_current") == 1, what="core C keeps up")
        wait_for(lambda: summary(core_c, "r2") is None, what="r2's delete applied on core C")
        listed_c = summary(core_c, "r1")
        assert listed_c["pinned"] is False and listed_c["started_at"] == listed_a["started_at"]
        assert download(core_c, "r1") == from_a

        # Viewers never see the library's messages in the log: only replay
        # events, every chunk of r3 once.
        push(core_b, replay, "r3", range(6))
        viewer.join(timeout=15)
        assert not viewer.is_alive(), "viewer did not get r3's end"
        assert viewer.error is None, viewer.error
        assert {kind for _, kind, _ in viewer.events} <= {"replay_start", "replay_chunk", "replay_end"}
        r3_chunks = [json.loads(d)["chunk_index"] for _, kind, d in viewer.events
                     if kind == "replay_chunk" and '"replay_id":"r3"' in d]
        assert r3_chunks == list(range(6))

        # A copy resumes where its saved position says: a core whose data dir
        # says it applied r3's replay_start (but nothing after it) reads on
        # from r3's first chunk, finds r3's start in the log, and stores r3
        # whole, and nothing older.
        position = Path(core_a.data_dir) / "stream-position"
        wait_for(position.exists, what="core A saved its position")
        stream = position.read_text().splitlines()[0]  # "<name> <event id base>"
        base = int(stream.split()[1])
        r3_start_id = next(event_id for event_id, kind, d in viewer.events
                           if kind == "replay_start" and '"replay_id":"r3"' in d)
        with tempfile.TemporaryDirectory(prefix="echelon-data-") as seeded:
            Path(seeded, "stream-position").write_text(f"{stream}\n{int(r3_start_id) - base}\n")
            core_d = stack.enter_context(Server(*cluster_flags, data_dir=seeded))
            wait_for(lambda: complete(core_d, "r3"), what="r3 on core D")
            assert json.loads(download(core_d, "r3"))["frames"] == pushed_frames
            assert summary(core_d, "r1") is None
            assert core_d.metric("echelon_library_copy_skipped_total") == 0
            core_d.stop()
