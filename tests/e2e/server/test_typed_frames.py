"""Frames pushed in typed protobuf form reach viewers as the same JSON content
as frames pushed as JSON text."""
import json

import grpc
from google.protobuf import struct_pb2

from harness import SseReader, ends, load_replay, wait_for, world_hash

from echelon.replay.v1 import frame_pb2, replay_pb2, replay_pb2_grpc


def to_message(obj, message):
    """Fills `message` from a JSON object the way the schema reads: known
    fields typed, everything else in `unknown` (a test oracle, kept simple)."""
    fields = message.DESCRIPTOR.fields_by_name
    for key, value in obj.items():
        field = fields.get(key)
        if field is None or key in ("unknown", "id"):
            message.unknown.update({key: value})
        elif field.label == field.LABEL_REPEATED and value == []:
            # frame.proto: a present-but-empty list is kept in `unknown`.
            message.unknown.update({key: value})
        elif field.message_type is not None and field.message_type.name == "Vec3":
            getattr(message, key).x, getattr(message, key).y, getattr(message, key).z = value
        elif field.message_type is not None and field.message_type.name == "Struct":
            for event in value:
                getattr(message, key).add().update(event)
        elif field.message_type is not None and field.label == field.LABEL_REPEATED:
            for item in value:
                to_message(item, getattr(message, key).add())
        elif field.message_type is not None:
            to_message(value, getattr(message, key))
        elif field.label == field.LABEL_REPEATED:
            getattr(message, key).extend(value)
        else:
            setattr(message, key, value)
    return message


def to_frame(frame):
    typed = frame_pb2.Frame()
    rest = dict(frame)
    for mech_id, mech in rest.pop("mechs", {}).items():
        to_message(mech, typed.mechs.add(id=mech_id))
    return to_message(rest, typed)


def test_typed_and_json_frames_look_the_same_to_viewers(server):
    replay = load_replay("w40x40x20_s3")
    frames = replay["frames"][:60]
    h, _ = server.put_world(replay["world"])
    reader = SseReader(server.http_port, until=ends("typed"))
    reader.start()
    wait_for(lambda: server.health()["clients"] == 1, what="viewer")
    with grpc.insecure_channel(server.grpc_target) as channel:
        stub = replay_pb2_grpc.ReplayServiceStub(channel)
        for index, part in enumerate((frames[:30], frames[30:])):
            chunk = replay_pb2.ReplayChunk(replay_id="typed", world_ref=h, chunk_index=index, chunk_count=2)
            chunk.frames.extend(to_frame(f) for f in part)
            stub.Push(chunk)
    reader.join(timeout=15)
    received = [f for d in reader.of_type("replay_chunk") for f in d["frames"]]
    assert received == frames
