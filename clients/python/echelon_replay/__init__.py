"""Clients of the Echelon replay server.

For a trainer, two lines replace the hand-written ``push_replay``::

    from echelon_replay import push_replay
    push_replay("http://127.0.0.1:8090/push", replay)   # never raises

``push_replay`` and ``world_hash`` use only the standard library.
``ReplayClient`` (gRPC) needs grpcio and protobuf; it is imported lazily so that
the HTTP path works without them.
"""

from echelon_replay.http_push import PushResult, PushStats, push_replay, stats
from echelon_replay.world import canonical_json, world_hash, world_hash_of_body

__all__ = [
    "PushResult",
    "PushStats",
    "ReplayClient",
    "ReplayPushError",
    "canonical_json",
    "push_replay",
    "stats",
    "world_hash",
    "world_hash_of_body",
]


def __getattr__(name):
    # The gRPC client pulls in grpc and the generated stubs: only on demand.
    if name in ("ReplayClient", "ReplayPushError", "PushSummary"):
        from echelon_replay import grpc_client

        return getattr(grpc_client, name)
    raise AttributeError(f"module 'echelon_replay' has no attribute {name!r}")
