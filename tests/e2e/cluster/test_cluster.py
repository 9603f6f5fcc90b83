"""Cluster mode end to end (issue 17): a 3-node NATS JetStream cluster on
loopback, two cores and two gateways started with --nats, viewers on the
gateways and on a core. Trainers push to both cores; every viewer gets every
replay byte for byte; then one NATS node and one core are SIGKILLed in the
middle of a push, the push goes on through the other core, no viewer misses a
chunk, and the killed ones rejoin."""
import contextlib
import json
import signal
import threading

from harness import Server, SseReader, ends, load_replay, wait_for, world_hash
from nats_cluster import NatsCluster
from echelon_replay import push_replay

CHUNK_FRAMES = 4


def chunk_body(replay, replay_id, index, count):
    chunk = {"replay_id": replay_id, "world_ref": world_hash(replay["world"]), "chunk_index": index,
             "chunk_count": count, "frames": replay["frames"][index * CHUNK_FRAMES:(index + 1) * CHUNK_FRAMES]}
    if index == 0:
        chunk["meta"] = {"episode": 1}
    return chunk


def chunk_count(replay):
    return (len(replay["frames"]) + CHUNK_FRAMES - 1) // CHUNK_FRAMES


def check_viewer(viewer, replay, replay_ids):
    """Every chunk of every replay exactly once, in a stream whose ids increase,
    with the frames as pushed; returns the raw chunk texts for comparison."""
    assert viewer.error is None, viewer.error
    ids = [event_id for event_id, _, _ in viewer.events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), "event ids must increase"
    texts = {}
    for replay_id in replay_ids:
        chunks = [json.loads(data) for _, kind, data in viewer.events
                  if kind == "replay_chunk" and json.loads(data)["replay_id"] == replay_id]
        indices = [c["chunk_index"] for c in chunks]
        assert sorted(indices) == list(range(chunk_count(replay))), (replay_id, indices)
        frames = [frame for c in sorted(chunks, key=lambda c: c["chunk_index"]) for frame in c["frames"]]
        assert frames == replay["frames"], replay_id
        starts = [d for _, kind, d in viewer.events
                  if kind == "replay_start" and json.loads(d)["replay_id"] == replay_id]
        assert len(starts) == 1, (replay_id, len(starts))
        texts[replay_id] = [data for _, kind, data in viewer.events
                            if kind == "replay_chunk" and f'"replay_id":"{replay_id}"' in data]
    return texts


def test_two_cores_two_gateways_survive_a_killed_nats_node_and_core():
    replay = load_replay()
    count = chunk_count(replay)
    with contextlib.ExitStack() as stack:
        nats = stack.enter_context(NatsCluster(3))
        cluster_flags = ("--nats", nats.urls, "--nats-replicas", "3", "--nats-max-gb", "0.5", "--no-library")
        core1 = stack.enter_context(Server(*cluster_flags))
        core2 = stack.enter_context(Server(*cluster_flags))
        cores = f"127.0.0.1:{core1.grpc_port},127.0.0.1:{core2.grpc_port}"
        gateways = [stack.enter_context(Server("--core", cores, *cluster_flags)) for _ in range(2)]

        # Viewers on both gateways and on the core that survives.
        endpoints = [gateways[0], gateways[0], gateways[1], gateways[1], core1]
        viewers = [SseReader(s.http_port, until=ends("c"), raw=True) for s in endpoints]
        for viewer in viewers:
            viewer.start()
            stack.callback(viewer.close)
        wait_for(lambda: sum(s.health()["clients"] for s in (gateways[0], gateways[1], core1)) == len(viewers),
                 what="viewers connected")

        # Replay a: chunks alternate between the cores (one replay, two entry
        # points); a chunk re-sent to the other core is stored once.
        hash_, (status, answer) = core2.put_world(replay["world"])
        assert status in (200, 201), answer
        for i in range(count):
            status, answer = (core1, core2)[i % 2].json_request("POST", "/push", chunk_body(replay, "a", i, count))
            assert status == 200, answer
        status, answer = core1.json_request("POST", "/push", chunk_body(replay, "a", 1, count))
        assert status == 200 and answer.get("duplicate") is True, answer
        # The world put through core2 is served by core1 and by a gateway.
        assert core1.request("GET", f"/worlds/{hash_}")[0] == 200
        assert gateways[1].request("GET", f"/worlds/{hash_}")[0] == 200

        # Replay b: a trainer pushing to core2 first, failing over to core1;
        # core2 and one NATS node die a third of the way through.
        killed = threading.Event()

        def kill_midway(done, total):
            if done == total // 3 and not killed.is_set():
                killed.set()
                nats.nodes[0].kill()
                core2.proc.send_signal(signal.SIGKILL)
                core2.proc.wait()

        pushed = push_replay([f"http://127.0.0.1:{core2.http_port}/push", f"http://127.0.0.1:{core1.http_port}/push"],
                             replay, CHUNK_FRAMES, replay_id="b", retries=12, backoff=0.1, max_backoff=1.0,
                             timeout=15, progress=kill_midway)
        assert killed.is_set()
        assert pushed.ok, pushed.error

        # The killed ones rejoin: the NATS node with its store, the core on
        # its ports; replay c goes through the restarted core.
        nats.nodes[0].start()
        wait_for(nats.nodes[0].healthy, timeout=30, interval=0.1, what="NATS node back")
        core2_again = stack.enter_context(Server(*cluster_flags, http_port=core2.http_port, grpc_port=core2.grpc_port))
        for i in range(count):
            status, answer = core2_again.json_request("POST", "/push", chunk_body(replay, "c", i, count))
            assert status == 200, answer

        for viewer in viewers:
            viewer.join(timeout=30)
            assert not viewer.is_alive(), "viewer did not get replay c's end"
        texts = [check_viewer(viewer, replay, ["a", "b", "c"]) for viewer in viewers]
        assert all(t == texts[0] for t in texts), "every viewer gets the same bytes"

        # A late joiner on a gateway gets the replay that ended last, from the log.
        late = SseReader(gateways[1].http_port, until=ends("c"), raw=True)
        late.start()
        late.join(timeout=15)
        assert check_viewer(late, replay, ["c"])["c"] == texts[0]["c"]
        # The restarted node is routed to both others again.
        assert nats.nodes[0].monitor("/routez")["num_routes"] >= 2
