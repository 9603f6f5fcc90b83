"""push_replay: the trainer's chunked push over the HTTP JSON contract.

A drop-in for the hand-written ``push_replay(url, replay, chunk_size=100)`` in
the trainer, using only the standard library::

    from echelon_replay import push_replay
    push_replay("http://127.0.0.1:8090/push", replay)
    push_replay(["http://a:8090/push", "http://b:8090/push"], replay)   # fails over

It hashes the world, asks ``HEAD /worlds/{hash}``, uploads the world gzipped
with ``PUT`` when the server lacks it, then sends one ``POST /push`` per chunk
(``meta``, and ``run`` when the replay has one, on chunk 0). It never raises
into the training loop: failures are logged on the ``echelon_replay`` logger
and counted in ``echelon_replay.stats``; the call returns a ``PushResult``.

Retries: a request that fails in transit (connection refused or reset,
timeout, HTTP 429/502/503/504) is retried with exponential backoff, a bounded
number of times. Each chunk is acknowledged by its own response, so a retry
resumes at the chunk that failed, and a server that restarted (and lost the
world) gets the world again. The server acknowledges a re-sent
``(replay_id, chunk_index)`` without broadcasting it twice.
"""

import dataclasses
import gzip
import json
import logging
import os
import random
import ssl
import threading
import time
import urllib.error
import urllib.request
import uuid

from echelon_replay.world import canonical_json, hash_canonical_text

log = logging.getLogger("echelon_replay")

_RETRIABLE_HTTP = {408, 429, 502, 503, 504}


@dataclasses.dataclass
class PushStats:
    """Counters over all pushes of this process (thread-safe to update)."""

    replays_pushed: int = 0
    replays_failed: int = 0
    chunks_sent: int = 0
    chunks_failed: int = 0
    retries: int = 0
    worlds_uploaded: int = 0
    bytes_sent: int = 0
    last_error: str = ""

    def __post_init__(self):
        self._lock = threading.Lock()

    def add(self, **deltas):
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def note_error(self, message):
        with self._lock:
            self.last_error = message


#: Process-wide counters, for a trainer's metrics.
stats = PushStats()


@dataclasses.dataclass
class PushResult:
    """What one push_replay call did; ``ok`` when every chunk was accepted."""

    ok: bool = False
    replay_id: str = ""
    world_hash: str = ""
    chunk_count: int = 0
    chunks_sent: int = 0
    chunks_failed: int = 0
    retries: int = 0
    bytes_sent: int = 0
    error: str = ""


class _Transient(Exception):
    """A failure in transit: worth another attempt."""


class _Rejected(Exception):
    """The server answered and said no: retrying the same request is useless."""

    def __init__(self, status, detail):
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


class _Untrusted(_Rejected):
    """The server's TLS certificate failed verification."""

    def __init__(self, message):
        Exception.__init__(self, message)
        self.status = None


def _detail(error):
    try:
        body = error.read().decode("utf-8", "replace")
    except Exception:  # the body is a courtesy; its absence is no error
        return error.reason
    try:
        return json.loads(body).get("detail", body)
    except (ValueError, AttributeError):
        return body[:200]


def _tls_context(base_url, cafile):
    """The TLS settings of an https:// server: verified against ``cafile`` (a
    PEM file of the CA that signed the server's certificate) or, without it,
    the system's trusted CAs."""
    if cafile and not base_url.startswith("https://"):
        raise ValueError(f"cafile is for https:// URLs, got {base_url}")
    if not base_url.startswith("https://"):
        return None
    return ssl.create_default_context(cafile=cafile)


class _Http:
    """The server(s), reached with urllib; maps outcomes onto _Transient/_Rejected.

    With several base URLs (cores of one cluster, docs/deployment.md) a failure
    in transit moves on to the next one, so the retry goes elsewhere; every
    core writes the same replay log, and a chunk sent to two is stored once."""

    def __init__(self, base_urls, timeout, token, cafile=None):
        self.base_urls = list(base_urls)
        self.current = 0
        self.timeout = timeout
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}
        # One context per server: a list may mix http:// and https:// cores.
        self.tls = [_tls_context(base, cafile) for base in self.base_urls]

    @property
    def base_url(self):
        return self.base_urls[self.current]

    def _fail_over(self):
        if len(self.base_urls) > 1:
            self.current = (self.current + 1) % len(self.base_urls)
            log.warning("switching to %s", self.base_url)

    def request(self, method, path, body=None, headers=None):
        try:
            return self._request(method, path, body, headers)
        except _Transient:
            self._fail_over()
            raise

    def _request(self, method, path, body=None, headers=None):
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers={**self.auth, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.tls[self.current]) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            if error.code in _RETRIABLE_HTTP:
                raise _Transient(f"{method} {path}: HTTP {error.code}") from None
            if method == "HEAD" and error.code == 404:
                return 404, b""
            raise _Rejected(error.code, f"{method} {path}: {_detail(error)}") from None
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timeout
            reason = getattr(error, "reason", error)
            if isinstance(reason, ssl.SSLCertVerificationError):
                # Not worth a retry: the certificate will not become trusted.
                raise _Untrusted(
                    f"{method} {path}: the server's TLS certificate is not trusted ({reason.verify_message}); "
                    "pass cafile= with the CA that signed it"
                ) from None
            raise _Transient(f"{method} {path}: {reason}") from None

    def has_world(self, digest):
        status, _ = self.request("HEAD", f"/worlds/{digest}")
        return status != 404

    def put_world(self, digest, canonical_text):
        # Worlds are ~0.5 MB of very repetitive JSON; the trainer gzips them.
        body = gzip.compress(canonical_text.encode("ascii"), mtime=0)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        self.request("PUT", f"/worlds/{digest}", body, headers)


class _Retrier:
    """Bounded retries with exponential backoff (and jitter) for one push."""

    def __init__(self, retries, backoff, max_backoff, result):
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.result = result

    def run(self, what, operation):
        for attempt in range(self.retries + 1):
            try:
                return operation()
            except _Transient as error:
                if attempt == self.retries:
                    raise
                delay = min(self.max_backoff, self.backoff * 2**attempt) * random.uniform(0.8, 1.2)
                log.warning("%s failed (%s); retry %d/%d in %.1f s", what, error, attempt + 1, self.retries, delay)
                self.result.retries += 1
                stats.add(retries=1)
                time.sleep(delay)


def _urls(url):
    """The trainer passes ".../push" (or a list of them); a bare base URL works too."""
    urls = [url] if isinstance(url, str) else list(url)
    if not urls:
        raise ValueError("no server URL given")
    bases = []
    for one in urls:
        one = one.rstrip("/")
        bases.append(one[: -len("/push")] if one.endswith("/push") else one)
    return bases


def _chunk_body(replay, replay_id, digest, index, chunk_count, chunk_size):
    chunk = {
        "replay_id": replay_id,
        "world_ref": digest,
        "chunk_index": index,
        "chunk_count": chunk_count,
        "frames": replay["frames"][index * chunk_size : (index + 1) * chunk_size],
    }
    if index == 0:
        chunk["meta"] = replay.get("meta", {})
        if "run" in replay:
            chunk["run"] = replay["run"]
    return json.dumps(chunk, separators=(",", ":")).encode("utf-8")


def _push_chunk(http, retrier, world, index, body):
    """One acknowledged chunk. A 400 may mean the server lost the world (it
    restarted): then store the world again and send the chunk once more."""

    def send():
        try:
            http.request("POST", "/push", body, {"Content-Type": "application/json"})
        except _Rejected as error:
            if error.status != 400 or http.has_world(world["hash"]):
                raise
            log.warning("server lost world %s; uploading it again", world["hash"])
            http.put_world(world["hash"], world["text"])
            stats.add(worlds_uploaded=1)
            http.request("POST", "/push", body, {"Content-Type": "application/json"})

    retrier.run(f"chunk {index}", send)


def push_replay(
    url,
    replay,
    chunk_size=100,
    *,
    replay_id=None,
    retries=5,
    backoff=0.2,
    max_backoff=5.0,
    timeout=10.0,
    progress=None,
    token=None,
    cafile=None,
):
    """Pushes ``replay`` ({"world", "frames", optional "meta", "run"}) in chunks.

    ``url`` is the server's push URL ("http://host:8090/push") or its base URL,
    or a list of them (the cores of a cluster): a failure in transit retries on
    the next one. "https://..." for a server with TLS, whose certificate is
    checked against ``cafile`` (a PEM file of the CA that signed it; default:
    the system's trusted CAs).
    ``token`` is the server's push token (default: $ECHELON_PUSH_TOKEN, if set).
    ``progress(chunks_done, chunk_count)`` is called after each accepted chunk.
    Never raises (except KeyboardInterrupt/SystemExit); returns a PushResult.
    """
    result = PushResult(replay_id=replay_id or uuid.uuid4().hex[:12])
    try:
        http = _Http(_urls(url), timeout, token or os.environ.get("ECHELON_PUSH_TOKEN"), cafile)
        _push(http, replay, chunk_size, result, _Retrier(retries, backoff, max_backoff, result), progress)
    except (_Transient, _Rejected) as error:
        result.error = str(error)
        log.error("push of replay %s failed: %s", result.replay_id, result.error)
    except Exception as error:  # the training loop must go on, whatever happened (a bad cafile too)
        result.error = f"{type(error).__name__}: {error}"
        log.exception("push of replay %s failed", result.replay_id)
    if result.error:
        stats.note_error(result.error)
    result.ok = not result.error and result.chunks_failed == 0
    stats.add(replays_pushed=int(result.ok), replays_failed=int(not result.ok))
    return result


def _push(http, replay, chunk_size, result, retrier, progress):
    chunk_size = max(1, int(chunk_size))
    text = canonical_json(replay["world"])
    world = {"hash": hash_canonical_text(text), "text": text}
    result.world_hash = world["hash"]

    def ensure_world():
        if not http.has_world(world["hash"]):
            http.put_world(world["hash"], text)
            stats.add(worlds_uploaded=1)

    retrier.run("world upload", ensure_world)

    frames = replay["frames"]
    result.chunk_count = (len(frames) + chunk_size - 1) // chunk_size
    for index in range(result.chunk_count):
        body = _chunk_body(replay, result.replay_id, world["hash"], index, result.chunk_count, chunk_size)
        try:
            _push_chunk(http, retrier, world, index, body)
        except _Rejected as error:
            # A rejected chunk is a gap, not the end: the viewer skips gaps.
            log.error("chunk %d of replay %s rejected: %s", index, result.replay_id, error)
            result.chunks_failed += 1
            stats.add(chunks_failed=1)
            stats.note_error(str(error))
            continue
        result.chunks_sent += 1
        result.bytes_sent += len(body)
        stats.add(chunks_sent=1, bytes_sent=len(body))
        if progress is not None:
            progress(index + 1, result.chunk_count)
