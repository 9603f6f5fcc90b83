"""ReplayClient: the gRPC path to the replay server.

    from echelon_replay import ReplayClient

    with ReplayClient("127.0.0.1:50051") as client:
        summary = client.push_replay(replay)          # ensure world, PushChunks
        for event in client.subscribe(after_id=0):    # ReplayEvent messages
            if event.HasField("replay_end"):
                break

Frames travel as ``frames_json`` (one compact JSON array per chunk). Unlike
``push_replay`` this raises ``ReplayPushError`` when a push fails for good.

Retries: a stream that fails in transit (UNAVAILABLE, DEADLINE_EXCEEDED,
ABORTED) is sent again whole, after checking the world is still stored; the
server acknowledges chunks it already has as duplicates and does not
broadcast them again. A restarted server has forgotten what it saw, so with
``ack_each_chunk=True`` each chunk goes as one acknowledged unary ``Push`` and
a retry resumes at the first unacknowledged chunk.
"""

import dataclasses
import json
import logging
import os
import socket
import random
import time
import uuid

import grpc
from google.protobuf import struct_pb2

from echelon_replay import _stubs
from echelon_replay.world import canonical_json, hash_canonical_text

log = logging.getLogger("echelon_replay")

_RETRIABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
_MAX_MESSAGE = 512 << 20


class ReplayPushError(RuntimeError):
    """A push that failed after its retries; ``code`` is the grpc.StatusCode."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


@dataclasses.dataclass
class PushSummary:
    replay_id: str
    world_hash: str
    chunk_count: int
    chunks_accepted: int = 0
    chunks_duplicate: int = 0
    frame_bytes: int = 0
    retries: int = 0


def _reporting(chunks, report):
    """The chunks of a stream, reporting each one as gRPC takes it."""
    for chunk in chunks:
        yield chunk
        report(chunk.chunk_index + 1, len(chunks))


def _struct(value):
    message = struct_pb2.Struct()
    message.update(value)
    return message


def _channel_target(target):
    """One "host:port", or a list of them (the cores of a cluster) as one gRPC
    target over their addresses: "ipv4:10.0.0.1:50051,10.0.0.2:50051". gRPC's
    pick_first policy then uses the first core that answers and moves on when
    it fails; the client's retries resend on whichever is up."""
    if isinstance(target, str):
        return target
    targets = list(target)
    if not targets:
        raise ValueError("no server address given")
    if len(targets) == 1:
        return targets[0]
    addresses = []
    for one in targets:
        host, _, port = one.rpartition(":")
        host = host.strip("[]")
        for family, _, _, _, sockaddr in socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM):
            ip = sockaddr[0]
            addresses.append((family, f"[{ip}]:{port}" if family == socket.AF_INET6 else f"{ip}:{port}"))
            break
    families = {family for family, _ in addresses}
    if families == {socket.AF_INET}:
        return "ipv4:" + ",".join(address for _, address in addresses)
    if families == {socket.AF_INET6}:
        return "ipv6:" + ",".join(address for _, address in addresses)
    raise ValueError("the servers of one ReplayClient must all be IPv4 or all IPv6")


def _root_certificates(value):
    """PEM bytes as given, or read from a path."""
    if isinstance(value, bytes):
        return value
    with open(value, "rb") as pem:
        return pem.read()


def _channel(target, root_certificates, tls, options):
    if not tls:
        return grpc.insecure_channel(target, options=options)
    credentials = grpc.ssl_channel_credentials(root_certificates=root_certificates)
    return grpc.secure_channel(target, credentials, options=options)


class ReplayClient:
    def __init__(
        self,
        target,
        *,
        token=None,
        timeout=30.0,
        retries=5,
        backoff=0.2,
        max_backoff=5.0,
        root_certificates=None,
        tls=False,
    ):
        """``target``: "host:port", or a list of them (the cores of a cluster:
        calls fail over to the next one). ``token``: the server's push token
        (default: $ECHELON_PUSH_TOKEN, if set).

        TLS (a server started with --tls-cert): ``root_certificates`` is the
        PEM of the CA that signed the server's certificate, as bytes, or the
        path of a PEM file; ``tls=True`` alone trusts the system's CAs.
        Without either the channel is plaintext.
        """
        target = _channel_target(target)
        self._pb = _stubs.load()
        token = token or os.environ.get("ECHELON_PUSH_TOKEN")
        self._metadata = (("authorization", f"Bearer {token}"),) if token else None
        self._tls = tls or root_certificates is not None
        self._channel = _channel(
            target,
            _root_certificates(root_certificates) if root_certificates is not None else None,
            self._tls,
            [
                ("grpc.max_receive_message_length", _MAX_MESSAGE),
                ("grpc.max_send_message_length", _MAX_MESSAGE),
                # Find a restarted server within the retry budget, not after
                # gRPC's default reconnect backoff (up to two minutes).
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 2000),
            ],
        )
        self._replay = self._pb.replay_pb2_grpc.ReplayServiceStub(self._channel)
        self._worlds = self._pb.world_pb2_grpc.WorldServiceStub(self._channel)
        self._library = self._pb.library_pb2_grpc.LibraryServiceStub(self._channel)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # Worlds -----------------------------------------------------------------

    def ensure_world(self, world):
        """Stores ``world`` (a dict) unless the server has it; returns its hash."""
        text = canonical_json(world)
        digest = hash_canonical_text(text)
        self._ensure_world(digest, text)
        return digest

    def _ensure_world(self, digest, text):
        if not self._has_world(digest):
            self._put_world(digest, text)

    def _has_world(self, digest):
        request = self._pb.world_pb2.HasWorldRequest(world_hash=digest)
        return self._worlds.Has(request, timeout=self.timeout, metadata=self._metadata).present

    def _put_world(self, digest, text):
        request = self._pb.world_pb2.PutWorldRequest(world_json=text.encode("ascii"), world_hash=digest)
        self._worlds.Put(request, timeout=self.timeout, metadata=self._metadata)

    # Pushing ----------------------------------------------------------------

    def push_replay(self, replay, chunk_size=100, *, replay_id=None, ack_each_chunk=False, progress=None):
        """Pushes ``replay`` ({"world", "frames", optional "meta", "run"}); returns a PushSummary.

        ``progress(chunks_done, chunk_count)`` is called as chunks go out (on
        the stream) or are acknowledged (``ack_each_chunk``).
        """
        text = canonical_json(replay["world"])
        frames = replay["frames"]
        chunk_size = max(1, int(chunk_size))
        summary = PushSummary(
            replay_id=replay_id or uuid.uuid4().hex[:12],
            world_hash=hash_canonical_text(text),
            chunk_count=(len(frames) + chunk_size - 1) // chunk_size,
        )
        if summary.chunk_count == 0:
            raise ReplayPushError("the replay has no frames")
        chunks = [self._chunk(replay, summary, i, chunk_size) for i in range(summary.chunk_count)]
        summary.frame_bytes = sum(len(c.frames_json) for c in chunks)
        report = progress or (lambda done, count: None)
        if ack_each_chunk:
            self._push_each(chunks, summary, text, report)
        else:
            self._retry("push stream", summary, lambda: self._stream_once(chunks, summary, text, report))
        return summary

    def _chunk(self, replay, summary, index, chunk_size):
        chunk = self._pb.replay_pb2.ReplayChunk(
            replay_id=summary.replay_id,
            world_ref=summary.world_hash,
            chunk_index=index,
            chunk_count=summary.chunk_count,
            frames_json=json.dumps(replay["frames"][index * chunk_size : (index + 1) * chunk_size], separators=(",", ":")).encode("utf-8"),
        )
        if index == 0:
            chunk.meta.CopyFrom(_struct(replay.get("meta", {})))
            if "run" in replay:
                chunk.extra.CopyFrom(_struct({"run": replay["run"]}))
        return chunk

    def _stream_once(self, chunks, summary, text, report):
        self._with_world_repair(summary.world_hash, text, lambda: self._ensure_world(summary.world_hash, text))
        answer = self._with_world_repair(
            summary.world_hash,
            text,
            lambda: self._replay.PushChunks(
                _reporting(chunks, report), timeout=self.timeout * (len(chunks) + 1), metadata=self._metadata
            ),
        )
        summary.chunks_accepted = answer.chunks_accepted
        summary.chunks_duplicate = answer.chunks_duplicate

    def _push_each(self, chunks, summary, text, report):
        self._retry("world upload", summary, lambda: self._ensure_world(summary.world_hash, text))
        for chunk in chunks:
            ack = self._retry(
                f"chunk {chunk.chunk_index}",
                summary,
                lambda: self._with_world_repair(
                    summary.world_hash, text, lambda: self._replay.Push(chunk, timeout=self.timeout, metadata=self._metadata)
                ),
            )
            if ack.duplicate:
                summary.chunks_duplicate += 1
            else:
                summary.chunks_accepted += 1
            report(chunk.chunk_index + 1, len(chunks))

    def _with_world_repair(self, digest, text, call):
        """Runs ``call``; when it is refused and the server has lost the world
        (it restarted), stores the world again and raises a retriable error."""
        try:
            return call()
        except grpc.RpcError as error:
            if error.code() in _RETRIABLE:
                raise
            if self._has_world(digest):
                raise
            log.warning("server lost world %s; storing it again", digest)
            self._put_world(digest, text)
            raise _WorldRestored() from None

    def _retry(self, what, summary, operation):
        for attempt in range(self.retries + 1):
            try:
                return operation()
            except (grpc.RpcError, _WorldRestored) as error:
                code = error.code() if isinstance(error, grpc.RpcError) else grpc.StatusCode.ABORTED
                details = error.details() if isinstance(error, grpc.RpcError) else str(error)
                if code not in _RETRIABLE or attempt == self.retries:
                    raise ReplayPushError(f"{what}: {code.name}: {details}{self._hint(code)}", code) from None
                delay = min(self.max_backoff, self.backoff * 2**attempt) * random.uniform(0.8, 1.2)
                log.warning("%s failed (%s: %s); retry %d/%d in %.1f s", what, code.name, details, attempt + 1, self.retries, delay)
                summary.retries += 1
                self._wait_before_retry(code, delay)

    def _hint(self, code):
        """gRPC reports a failed TLS handshake as an unreachable server."""
        if code != grpc.StatusCode.UNAVAILABLE:
            return ""
        if self._tls:
            return " (TLS: is the server's certificate signed by root_certificates and valid for this host?)"
        return " (if the server uses TLS, pass root_certificates= with its CA)"

    def _wait_before_retry(self, code, delay):
        """After UNAVAILABLE, wait for the channel to reconnect (at most
        ``delay``) rather than sleep: a reconnecting channel only notices a
        restarted server when something polls it, and calls that fail fast do
        not (gRPC 1.51 took 5-10 s; this takes ~0.1 s). A channel that was
        ready at once got UNAVAILABLE from the server itself: back off fully."""
        started = time.monotonic()
        if code == grpc.StatusCode.UNAVAILABLE:
            try:
                grpc.channel_ready_future(self._channel).result(timeout=delay)
            except grpc.FutureTimeoutError:
                return
            if time.monotonic() - started > 0.005:
                return  # it reconnected: retry now
        time.sleep(max(0.0, delay - (time.monotonic() - started)))

    # The replay library -----------------------------------------------------

    def list_replays(self, *, run=None, limit=50, before=None):
        """One page of stored replays, newest first: ``(replays, next_cursor)``.
        Each replay is a dict with the keys of GET /replays; pass
        ``before=next_cursor`` for the next page (``None`` after the last)."""
        request = self._pb.library_pb2.ListReplaysRequest(run=run or "", limit=limit, before=before or "")
        response = self._library.List(request, timeout=self.timeout, metadata=self._metadata)
        return [_summary(s) for s in response.replays], (response.next or None)

    def download(self, replay_id, path):
        """Writes the stored replay as one JSON document
        ``{"world","frames","meta","run"}`` (what ``push_replay`` reads) to
        ``path``, chunk by chunk; returns its summary dict. A replay that is
        not stored raises grpc.RpcError with NOT_FOUND."""
        request = self._pb.library_pb2.GetReplayRequest(replay_id=replay_id)
        call = self._library.Get(request, metadata=self._metadata)
        summary = None
        partial = f"{path}.part"
        try:
            with open(partial, "wb") as out:
                first = True
                for part in call:
                    if part.HasField("header"):
                        summary = part.header.summary
                        out.write(b'{"world":' + part.header.world_json + b',"frames":[')
                        continue
                    inner = part.chunk.frames_json.strip()[1:-1]
                    if inner:
                        if not first:
                            out.write(b",")
                        out.write(inner)
                        first = False
                out.write(b'],"meta":' + (summary.meta_json or b"{}") + b',"run":' + (summary.run_json or b"null") + b"}")
            os.replace(partial, path)
        finally:
            call.cancel()
            if os.path.exists(partial):
                os.remove(partial)
        return _summary(summary)

    # Subscribing ------------------------------------------------------------

    def subscribe(self, after_id=0, *, omit_world=False, timeout=None):
        """Yields ReplayEvent messages after ``after_id``; closing the
        generator (or breaking out of the loop) cancels the call."""
        request = self._pb.replay_pb2.SubscribeRequest(after_id=after_id, omit_world=omit_world)
        call = self._replay.Subscribe(request, timeout=timeout, metadata=self._metadata)
        try:
            yield from call
        finally:
            call.cancel()


def _summary(s):
    """A ReplaySummary as the dict GET /replays gives (times in unix milliseconds)."""
    return {
        "replay_id": s.replay_id, "world_ref": s.world_ref,
        "run": json.loads(s.run_json or b"null"), "meta": json.loads(s.meta_json or b"{}"),
        "chunk_count": s.chunk_count, "chunks_stored": s.chunks_stored, "frames": s.frames, "bytes": s.bytes,
        "started_at_ms": s.started_at_ms, "finished_at_ms": s.finished_at_ms or None,
        "complete": s.complete, "pinned": s.pinned, "live": s.live,
    }


class _WorldRestored(Exception):
    """The server had lost the world and now has it again: try once more."""

    def __str__(self):
        return "the server had lost the world; stored it again"
