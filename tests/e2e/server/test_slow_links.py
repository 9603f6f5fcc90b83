"""Slow SSE links (issue 13, item 7): a viewer that keeps taking bytes stays
connected however slowly it reads, for as long as its queue is within
--sse-queue-mb; only one that takes nothing for the broadcast timeout is
dropped. Its own ctest: the 50 KB/s reader needs about 100 s, mostly waiting."""
import socket
import threading
import time

from harness import Server, SseReader, ends, load_replay, wait_for


class ThrottledViewer(threading.Thread):
    """/events read at a steady `rate` bytes per second, on one connection,
    until the end of `replay_id` or EOF (`ended_early`)."""

    def __init__(self, port, rate, replay_id):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        self.rate, self.marker = rate, f'"replay_id":"{replay_id}"'.encode()
        self.data = bytearray()
        self.ended_early = False
        self.error = None

    def run(self):
        try:
            self._read()
        except OSError as error:
            self.error = error
        finally:
            self.sock.close()

    def _read(self):
        tick = 0.05
        self.sock.settimeout(30)
        while True:
            started = time.monotonic()
            want = int(self.rate * tick)
            while want > 0:
                got = self.sock.recv(want)
                if not got:
                    self.ended_early = True
                    return
                self.data += got
                want -= len(got)
                if self._done():
                    return
            time.sleep(max(0.0, tick - (time.monotonic() - started)))

    def _done(self):
        tail = bytes(self.data[-4096:])
        return b"event: replay_end" in tail and self.marker in tail


def sse_text(raw):
    """The SSE text of a raw HTTP/1.1 chunked response (or of its start)."""
    body = raw.split(b"\r\n\r\n", 1)[1]
    text, pos = bytearray(), 0
    while pos < len(body):
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(body[pos:end], 16)
        if end + 2 + size > len(body):
            text += body[end + 2:]
            break
        text += body[end + 2:end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(text)


def sse_events(raw):
    """(id, event, data) of a raw HTTP/1.1 chunked SSE response."""
    events = []
    for block in sse_text(raw).decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line and not line.startswith(":"))
        if "data" in fields:
            events.append((int(fields["id"]), fields["event"], fields["data"]))
    return events


def test_slow_links_that_keep_reading_get_the_whole_replay_and_a_stalled_one_is_dropped():
    # About 5 MB in chunks of about 0.8 MB: the sizes that cut viewers on a
    # poor link when the drop rule judged each write, not bytes taken.
    base = load_replay("w100x100x20_s4_p2")
    frames = (base["frames"] * 5)[:620]
    replay = {"world": base["world"], "frames": frames}
    with Server("--sse-broadcast-timeout", "1") as server:
        server.put_world(replay["world"])
        fast = SseReader(server.http_port, until=ends("slow-link"), raw=True)
        fast.start()
        # Poor links that keep reading: each takes the whole ~5 MB on its
        # one connection (the 50 KB/s one for about 100 s).
        slow = [ThrottledViewer(server.http_port, rate, "slow-link") for rate in (50_000, 200_000)]
        for v in slow:
            v.start()
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", server.http_port))
        stalled.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_for(lambda: server.health()["clients"] == 4, what="4 viewers")
        answers = server.push_replay_http(replay, "slow-link", chunk_frames=100)
        assert all(status == 200 for status, _ in answers)
        pushed = time.monotonic()
        # The stalled one stops taking bytes once its buffers are full: it is
        # dropped within twice the broadcast timeout of that.
        wait_for(lambda: server.metric("echelon_sse_slow_drops_total") >= 1, timeout=6, what="stalled dropped")
        fast.join(timeout=30)
        assert fast.error is None
        reference = [(i, e, d) for i, e, d in fast.events if e.startswith("replay")]
        assert [e for _, e, _ in reference] == ["replay_start"] + ["replay_chunk"] * 7 + ["replay_end"]
        assert sum(len(d) for _, _, d in reference) > 4_500_000
        for v in slow:
            v.join(timeout=180)
            assert not v.is_alive() and v.error is None, f"{v.rate} B/s viewer: {v.error}"
            assert not v.ended_early, f"{v.rate} B/s viewer was cut after {len(v.data)} bytes"
            got = [(i, e, d) for i, e, d in sse_events(bytes(v.data)) if e.startswith("replay")]
            assert got == reference
        assert server.metric("echelon_sse_slow_drops_total") == 1
        assert time.monotonic() - pushed > 60  # the 50 KB/s viewer really was slow
        stalled.close()


