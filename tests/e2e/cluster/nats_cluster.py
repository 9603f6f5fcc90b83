"""A NATS cluster with JetStream on loopback for tests and benchmarks: N
nats-server processes on free ports, their config files and JetStream store
directories in a temporary folder, routes between all of them. Every process
is killed and the folder removed by stop()."""
from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from harness import free_port, wait_for


class NatsNode:
    def __init__(self, root: Path, name: str, client_port: int, route_port: int, monitor_port: int, routes):
        self.name = name
        self.client_port, self.route_port, self.monitor_port = client_port, route_port, monitor_port
        self.config = root / f"{name}.conf"
        self.store = root / name
        self.log_path = root / f"{name}.log"
        route_urls = ", ".join(f'"nats-route://127.0.0.1:{port}"' for port in routes)
        self.config.write_text(f"""
server_name: {name}
listen: 127.0.0.1:{client_port}
http: 127.0.0.1:{monitor_port}
# Chunks of a few MB are one message each.
max_payload: 8MB
jetstream {{
  store_dir: "{self.store}"
  max_memory_store: 64MB
  max_file_store: 2GB
}}
cluster {{
  name: echelon-test
  listen: 127.0.0.1:{route_port}
  routes: [{route_urls}]
}}
""")
        self.proc = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["nats-server", "-c", str(self.config)], stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"nats-server {self.name} exited: {self.log_path.read_text(errors='replace')[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.monitor_port, timeout=1)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def monitor(self, path):
        import json
        conn = http.client.HTTPConnection("127.0.0.1", self.monitor_port, timeout=2)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(Exception):
            self.log.close()


class NatsCluster:
    def __init__(self, size=3):
        self.root = Path(tempfile.mkdtemp(prefix="echelon-nats-"))
        ports = [(free_port(), free_port(), free_port()) for _ in range(size)]
        self.nodes = []
        for i, (client, route, monitor) in enumerate(ports):
            others = [r for j, (_, r, _) in enumerate(ports) if j != i]
            self.nodes.append(NatsNode(self.root, f"n{i + 1}", client, route, monitor, others))

    @property
    def urls(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self):
        for node in self.nodes:
            node.start()
        # /healthz answers 200 once JetStream has a meta leader and is current.
        wait_for(lambda: all(node.healthy() for node in self.nodes), timeout=30, interval=0.1,
                 what="NATS cluster healthy")
        return self

    def stop(self):
        for node in self.nodes:
            node.stop()
        if not os.environ.get("ECHELON_KEEP_NATS"):
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
