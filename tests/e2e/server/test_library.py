"""The replay library (issue 14) end to end on the real server: listing,
download, pins and deletes, bad ids, durability across SIGKILL and restarts,
late joiners, damage on disk, a full disk, and one data dir per server."""

import gzip
import http.client
import json
import os
import resource
import signal
import subprocess
import tempfile
import threading

import pytest

from harness import Server, SseReader, ends, load_replay, wait_for, world_hash


def small_replay(frames=12):
    replay = load_replay()
    return {"world": replay["world"], "frames": replay["frames"][:frames]}


def push_chunks(server, replay, replay_id, chunk_frames, indices, meta=None, run=None):
    """Pushes the chunks `indices`; returns their answers."""
    h = world_hash(replay["world"])
    frames = replay["frames"]
    count = (len(frames) + chunk_frames - 1) // chunk_frames
    answers = []
    for i in indices:
        chunk = {"replay_id": replay_id, "world_ref": h, "chunk_index": i, "chunk_count": count,
                 "frames": frames[i * chunk_frames:(i + 1) * chunk_frames], "meta": meta or {"episode": 1}}
        if run is not None:
            chunk["run"] = run
        answers.append(server.json_request("POST", "/push", chunk))
    return answers


def listed(server, query=""):
    status, body = server.json_request("GET", "/replays" + query)
    assert status == 200, body
    return body


def download(server, replay_id, accept_gzip=False):
    headers = {"Accept-Encoding": "gzip"} if accept_gzip else {}
    status, headers_out, data = server.request("GET", f"/replays/{replay_id}", headers=headers)
    assert status == 200, data
    if accept_gzip:
        assert headers_out.get("Content-Encoding") == "gzip"
        data = gzip.decompress(data)
    return json.loads(data), headers_out


@pytest.fixture
def data_dir():
    with tempfile.TemporaryDirectory(prefix="echelon-data-") as d:
        yield d


def test_list_download_and_round_trip():
    replay = small_replay(25)
    with Server() as server:
        server.put_world(replay["world"])
        push_chunks(server, replay, "older", 10, range(3), run={"name": "ppo-7"})
        push_chunks(server, replay, "newer", 10, range(3), meta={"update": 400}, run="sac-1")
        body = listed(server)
        assert [r["replay_id"] for r in body["replays"]] == ["newer", "older"]
        newer = body["replays"][0]
        assert newer["complete"] and newer["chunks_stored"] == 3 and newer["chunk_count"] == 3
        assert newer["frames"] == 25 and newer["bytes"] > 0 and newer["run"] == "sac-1"
        assert newer["meta"] == {"update": 400} and newer["world_ref"] == world_hash(replay["world"])
        assert newer["finished_at"] and newer["started_at"] and newer["pinned"] is False
        assert listed(server, "?run=ppo-7")["replays"][0]["replay_id"] == "older"
        page = listed(server, "?limit=1")
        assert len(page["replays"]) == 1 and page["next"]
        assert listed(server, f"?limit=1&before={page['next']}")["replays"][0]["replay_id"] == "older"

        doc, headers = download(server, "newer")
        assert doc["frames"] == replay["frames"] and doc["world"] == replay["world"]
        assert doc["meta"] == {"update": 400} and doc["run"] == "sac-1"
        assert "newer.replay.json" in headers["Content-Disposition"]
        assert download(server, "newer", accept_gzip=True)[0] == doc

        status, chunk = server.json_request("GET", "/replays/newer/chunks/1")
        assert status == 200 and chunk["frames"] == replay["frames"][10:20]

        # push -> pull -> push gives identical frames.
        push_chunks(server, doc, "again", 7, range(4))
        assert download(server, "again")[0]["frames"] == replay["frames"]


def test_download_is_the_same_from_the_core_and_through_a_core_gateway_with_token_or_cookie():
    # The one-process server reads the store straight into its download
    # buffer; a --core gateway streams LibraryService.Get. Same document,
    # same access rules (a bearer view token, or the session cookie).
    replay = small_replay(40)
    auth = {"Authorization": "Bearer look"}
    with Server("--view-token", "look", "--push-token", "pusher") as core, \
            Server("--core", core.grpc_target, "--view-token", "look", "--push-token", "pusher") as gateway:
        h = world_hash(replay["world"])
        body = json.dumps(replay["world"]).encode()
        assert core.request("PUT", f"/worlds/{h}", body, {"Authorization": "Bearer pusher"})[0] == 200
        for i in range(4):
            chunk = {"replay_id": "both", "world_ref": h, "chunk_index": i, "chunk_count": 4,
                     "frames": replay["frames"][i * 10:(i + 1) * 10]}
            status, _, _ = core.request("POST", "/push", json.dumps(chunk).encode(),
                                        {"Authorization": "Bearer pusher", "Content-Type": "application/json"})
            assert status == 200
        documents = []
        for server in (core, gateway):
            assert server.request("GET", "/replays/both")[0] == 401
            status, _, data = server.request("GET", "/replays/both", headers=auth)
            assert status == 200
            documents.append(data)
            status, headers, _ = server.request("POST", "/session", {"token": "look"},
                                                {"Content-Type": "application/json"})
            assert status == 200
            cookie = {"Cookie": headers["Set-Cookie"].split(";", 1)[0]}
            status, _, data = server.request("GET", "/replays/both", headers=cookie)
            assert status == 200 and data == documents[-1]
            status, _, data = server.request("GET", "/replays/nothing-here", headers=auth)
            assert status == 404 and "nothing-here" in json.loads(data)["detail"]
        assert documents[0] == documents[1]
        assert json.loads(documents[0])["frames"] == replay["frames"]


def test_pin_unpin_delete_need_the_push_token():
    replay = small_replay(5)
    auth = {"Authorization": "Bearer s3cret"}
    with Server("--push-token", "s3cret") as server:
        h = world_hash(replay["world"])
        body = json.dumps(replay["world"]).encode()
        assert server.request("PUT", f"/worlds/{h}", body, auth)[0] == 200
        chunk = {"replay_id": "r", "world_ref": h, "chunk_index": 0, "chunk_count": 1, "frames": replay["frames"]}
        assert server.request("POST", "/push", json.dumps(chunk).encode(), auth)[0] == 200
        assert server.request("POST", "/replays/r/pin")[0] == 401
        status, _, data = server.request("POST", "/replays/r/pin", headers=auth)
        assert status == 200 and json.loads(data)["pinned"] is True
        status, _, data = server.request("DELETE", "/replays/r/pin", headers=auth)
        assert status == 200 and json.loads(data)["pinned"] is False
        assert server.request("DELETE", "/replays/r")[0] == 401
        assert server.request("DELETE", "/replays/r", headers=auth)[0] == 200
        assert server.request("GET", "/replays/r")[0] == 404
        assert server.request("DELETE", "/replays/r", headers=auth)[0] == 404


@pytest.mark.parametrize("path,allowed", [
    ("/replays/..%2F..%2Fetc%2Fpasswd", (400, 404)),
    ("/replays/a%5Cb", (400,)),
    ("/replays/%01x", (400,)),
    ("/replays/..", (400, 404)),
    ("/replays/unknown", (404,)),
    ("/replays/unknown/chunks/0", (404,)),
    ("/replays/unknown/chunks/x", (400,)),
    ("/replays?limit=0", (400,)),
    ("/replays?before=..%2F", (400,)),
])
def test_bad_ids_and_parameters_are_clear_errors(path, allowed):
    with Server() as server:
        status, _, data = server.request("GET", path)
        assert status in allowed, (status, data)
        assert "detail" in json.loads(data)


def test_sigkill_mid_push_keeps_every_acknowledged_chunk(data_dir):
    replay = small_replay(48)
    server = Server(data_dir=data_dir).start()
    try:
        server.put_world(replay["world"])
        acked = [i for i, (status, _) in zip(range(20), push_chunks(server, replay, "r", 1, range(20)))
                 if status == 200]
        server.stop(signal.SIGKILL)
    finally:
        server.__exit__()
    with Server(data_dir=data_dir) as again:
        partial = listed(again)["replays"][0]
        assert partial["replay_id"] == "r" and not partial["complete"]
        assert partial["chunks_stored"] == len(acked) == 20
        # Pushing the rest (all of it, the stored part re-sent) completes it.
        answers = push_chunks(again, replay, "r", 1, range(48))
        assert all(status == 200 for status, _ in answers)
        assert all(body.get("duplicate") for _, body in answers[:20])
        doc, _ = download(again, "r")
        assert doc["frames"] == replay["frames"]
        assert listed(again)["replays"][0]["complete"]


def test_sigkill_while_pushes_are_in_flight_loses_no_acknowledged_chunk(data_dir):
    # Two trainers push without pause; the server is killed while both are
    # in the middle of a long replay. Whatever was acknowledged is stored.
    replay = small_replay(48)
    h, count = world_hash(replay["world"]), 400
    server = Server(data_dir=data_dir).start()
    acked = {"a": [], "b": []}

    def frames_of(i):
        return [replay["frames"][i % len(replay["frames"])]]

    def trainer(replay_id):
        try:
            for i in range(count):
                chunk = {"replay_id": replay_id, "world_ref": h, "chunk_index": i, "chunk_count": count,
                         "frames": frames_of(i)}
                if server.json_request("POST", "/push", chunk)[0] != 200:
                    return
                acked[replay_id].append(i)
        except (OSError, http.client.HTTPException):
            pass  # the server died mid-request: that chunk was not acknowledged

    threads = [threading.Thread(target=trainer, args=(r,)) for r in acked]
    try:
        server.put_world(replay["world"])
        for t in threads:
            t.start()
        wait_for(lambda: min(len(v) for v in acked.values()) >= 10, what="pushes under way")
        server.stop(signal.SIGKILL)
        for t in threads:
            t.join(timeout=30)
    finally:
        server.__exit__()
    with Server(data_dir=data_dir) as again:
        stored = {r["replay_id"]: r for r in listed(again)["replays"]}
        for replay_id, indices in acked.items():
            assert 10 <= len(indices) < count
            # The one in flight may have been stored without its answer.
            assert len(indices) <= stored[replay_id]["chunks_stored"] <= len(indices) + 1
            for i in indices:
                status, chunk = again.json_request("GET", f"/replays/{replay_id}/chunks/{i}")
                assert status == 200 and chunk["frames"] == frames_of(i)


def test_after_a_restart_late_joiners_and_resumes_come_from_the_library(data_dir):
    replay = small_replay(30)
    server = Server(data_dir=data_dir).start()
    try:
        server.put_world(replay["world"])
        push_chunks(server, replay, "done", 10, range(3))
        viewer = SseReader(server.http_port, raw=True)
        viewer.start()
        viewer.connected.wait(5)
        push_chunks(server, replay, "cut", 5, range(3))  # 3 of 6 chunks, then the server dies
        wait_for(lambda: sum(1 for e in viewer.events if e[1] == "replay_chunk") >= 6, what="viewer events")
        seen = list(viewer.events)
        server.stop(signal.SIGKILL)
    finally:
        server.__exit__()
    old_ids = [e[0] for e in seen]
    with Server(data_dir=data_dir) as again:
        # A late joiner gets the newest replay ("cut", partial) from the library.
        fresh = SseReader(again.http_port, until=lambda event, data: event == "replay_chunk"
                          and data["replay_id"] == "cut" and data["chunk_index"] == 2)
        fresh.start()
        fresh.done.wait(10)
        starts = [d["replay_id"] for d in fresh.of_type("replay_start")]
        assert starts[-1] == "cut"
        assert [d["chunk_index"] for d in fresh.of_type("replay_chunk") if d["replay_id"] == "cut"] == [0, 1, 2]
        fresh.close()

        # A viewer resuming with a Last-Event-ID from before the restart gets
        # exactly what it missed, then the rest live, ids still increasing.
        middle = seen[len(seen) // 2][0]
        resumed = SseReader(again.http_port, headers={"Last-Event-ID": str(middle)}, until=ends("cut"))
        resumed.start()
        wait_for(lambda: len(resumed.events) >= len([i for i in old_ids if i > middle]), what="resumed events")
        push_chunks(again, replay, "cut", 5, range(6))
        resumed.done.wait(10)
        ids = [e[0] for e in resumed.events]
        assert ids == sorted(set(ids)) and ids[0] > middle
        replayed = [e for e in resumed.events if e[0] <= max(old_ids)]
        assert [e[0] for e in replayed] == [i for i in old_ids if i > middle]
        chunks = [d["chunk_index"] for d in resumed.of_type("replay_chunk") if d["replay_id"] == "cut"]
        assert sorted(chunks) == sorted(set(chunks)) and set(range(3, 6)) <= set(chunks)
        assert min(i for i in ids if i > max(old_ids)) > max(old_ids)
        resumed.close()


def test_an_abandoned_replay_never_hides_newer_ones():
    replay = small_replay(4)
    with Server() as server:
        server.put_world(replay["world"])
        push_chunks(server, replay, "abandoned", 1, [0])  # chunk 0 of 4, then nothing
        for name in ("a", "b", "c"):
            push_chunks(server, replay, name, 2, range(2))
        viewer = SseReader(server.http_port, until=ends("c"))
        viewer.start()
        assert viewer.done.wait(10)
        assert viewer.of_type("replay_start")[-1]["replay_id"] == "c"
        assert len([d for d in viewer.of_type("replay_chunk") if d["replay_id"] == "c"]) == 2


def test_a_second_server_on_the_same_data_dir_refuses_to_start(data_dir):
    with Server(data_dir=data_dir):
        second = Server(data_dir=data_dir)
        proc = subprocess.run(second.args, capture_output=True, text=True, timeout=20)
        assert proc.returncode != 0
        assert "in use by another echelon-server" in proc.stderr + proc.stdout


def test_damaged_files_are_reported_and_skipped(data_dir):
    replay = small_replay(20)
    with Server(data_dir=data_dir) as server:
        server.put_world(replay["world"])
        push_chunks(server, replay, "hit", 5, range(4))
        push_chunks(server, replay, "intact", 5, range(4))
    segment = os.path.join(data_dir, "segments", "00000001.seg")
    size = os.path.getsize(segment)
    with open(segment, "r+b") as f:
        f.seek(size // 8)  # inside the first replay's chunks
        f.write(b"\xff" * 16)
    with open(segment, "ab") as f:
        f.write(b"ECR1 a torn record")  # a crash in the middle of an append
    with Server(data_dir=data_dir) as again:
        assert "torn record" in again.logs()
        assert download(again, "intact")[0]["frames"] == replay["frames"]
        doc, _ = download(again, "hit")
        assert 0 < len(doc["frames"]) < len(replay["frames"])
        assert "damaged" in again.logs()
        # The store still takes chunks after the cut tail.
        push_chunks(again, replay, "after", 5, range(4))
        assert download(again, "after")[0]["frames"] == replay["frames"]


def test_a_full_disk_answers_507_and_keeps_what_is_stored(data_dir):
    replay = load_replay("w100x100x20_s4_p2")  # 4.4 MB: the segment passes the limit
    limit = 2 << 20

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    server = Server(data_dir=data_dir)
    server.start = lambda: _start_with(server, limit_file_size)
    with server:
        server.put_world(replay["world"])
        answers = push_chunks(server, replay, "big", 10, range(len(replay["frames"]) // 10))
        statuses = [status for status, _ in answers]
        assert 200 in statuses and 507 in statuses, statuses
        full = next(body for status, body in answers if status == 507)
        assert "insufficient storage" in full["detail"]
        stored = listed(server)["replays"][0]["chunks_stored"]
        assert stored == statuses.count(200)
    with Server(data_dir=data_dir) as again:
        doc, _ = download(again, "big")
        assert doc["frames"] == replay["frames"][:stored * 10]


def _start_with(server, preexec):
    server.log = tempfile.NamedTemporaryFile(prefix="echelon-server-", suffix=".log", delete=False)
    server.log_path = server.log.name
    server.proc = subprocess.Popen(server.args, stdout=server.log, stderr=subprocess.STDOUT, env=server.env,
                                   preexec_fn=preexec)
    wait_for(server._healthy, timeout=15, what="server /health")
    return server


def test_echelon_pull_downloads_what_echelon_push_reads(tmp_path):
    from harness import server_binary
    from pathlib import Path
    pull = Path(server_binary()).resolve().parents[1] / "clients" / "cpp" / "echelon-pull"
    if not pull.exists():
        pytest.skip(f"no echelon-pull at {pull}")
    replay = small_replay(30)
    with Server() as server:
        server.put_world(replay["world"])
        push_chunks(server, replay, "run 7/update 400", 10, range(3), meta={"update": 400})
        out = tmp_path / "r.replay.json"
        url = f"http://127.0.0.1:{server.http_port}"
        done = subprocess.run([str(pull), "run 7/update 400", "-o", str(out), "--http", url],
                              capture_output=True, text=True, timeout=30)
        # A slash in the id is a path character: refused, nothing written.
        assert done.returncode == 5 and not out.exists(), done.stderr
        push_chunks(server, replay, "run-7-update-400", 10, range(3), meta={"update": 400})
        done = subprocess.run([str(pull), "run-7-update-400", "-o", str(out), "--http", url],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        doc = json.loads(out.read_text())
        assert doc["frames"] == replay["frames"] and doc["meta"] == {"update": 400}
        missing = subprocess.run([str(pull), "nope", "-o", str(tmp_path / "n.json"), "--http", url],
                                 capture_output=True, text=True, timeout=30)
        assert missing.returncode == 5 and "404" in missing.stderr


def test_without_a_library_the_routes_say_so():
    with Server("--no-library") as server:
        status, body = server.json_request("GET", "/replays")
        assert status == 404 and "--no-library" in body["detail"]


def test_a_resume_past_the_memory_buffer_comes_from_the_library_without_a_gap():
    replay = small_replay(60)
    with Server("--retention-mb", "0") as server:  # the in-memory buffer keeps only the newest event
        server.put_world(replay["world"])
        first = SseReader(server.http_port, until=lambda e, d: e == "replay_chunk")
        first.start()
        wait_for(lambda: server.health()["clients"] == 1, what="viewer")
        push_chunks(server, replay, "r", 10, range(6))
        first.join(timeout=10)
        start_id = first.events[0][0]
        resumed = SseReader(server.http_port, headers={"Last-Event-ID": str(start_id)}, until=ends("r"))
        resumed.start()
        resumed.join(timeout=10)
        chunks = [d["chunk_index"] for d in resumed.of_type("replay_chunk")]
        assert chunks == list(range(6))
        assert [e for _, e, _ in resumed.events][0] == "replay_chunk"  # no second start, no gap
        ids = [i for i, _, _ in resumed.events]
        assert ids == sorted(ids) and ids[0] > start_id
