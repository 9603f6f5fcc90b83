#!/usr/bin/env python3
"""Fails when a source file includes across a forbidden boundary.

The layers (docs/architecture.md) and who may include whom:

    proto  <-  protocol  <-  cluster  <-  server (the core)  <-  app (core + gateway in one process)
                   ^            ^                                 |
                   |            +-----  gateway  <----------------+
                   +---------  clients

cluster/ holds the NATS JetStream pieces shared by the core and the gateway in
cluster mode (--nats); it knows neither of them.

common/ holds small helpers anyone may use, except that the protocol library
uses none of the gRPC ones (common/grpc_*.h). Only app/ includes both server/
and gateway/. Tools are programs: they may use what they measure, but never
the gateway's internals. Tests are not checked.

    check_dependencies.py [ROOT]     check the tree (default: the repository)
    check_dependencies.py --self-test  prove the check catches each kind of violation
"""
import pathlib
import re
import sys
import tempfile

# The folder an include names -> the layer it belongs to.
LAYER_OF_INCLUDE_ROOT = {
    "echelon": "proto",  # generated: "echelon/replay/v1/x.pb.h"
    "common": "common",
    "protocol": "protocol",
    "cluster": "cluster",
    "server": "server",
    "gateway": "gateway",
    "viewer": "viewer",
    "app": "app",
    "clients": "clients",
    "tools": "tools",
    "tests": "tests",
}

ALLOWED = {
    "common": {"common"},
    "protocol": {"protocol", "common", "proto"},
    "cluster": {"cluster", "protocol", "common", "proto"},
    "server": {"server", "cluster", "protocol", "common", "proto"},
    "gateway": {"gateway", "cluster", "protocol", "common", "proto", "viewer"},
    "viewer": {"viewer"},
    "app": {"app", "server", "gateway", "cluster", "protocol", "common", "proto"},
    "clients": {"clients", "protocol", "common", "proto"},
    "tools": {"tools", "app", "server", "cluster", "clients", "protocol", "common", "proto"},
}

# Headers of an allowed layer that a layer still may not use.
FORBIDDEN_HEADERS = {
    "protocol": re.compile(r"^common/grpc_"),
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SOURCE_SUFFIXES = {".h", ".cc", ".cpp", ".hpp"}


def violations(root: pathlib.Path):
    for layer in ALLOWED:
        folder = root / layer
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix not in SOURCE_SUFFIXES or "node_modules" in path.parts:
                continue
            text = path.read_text(errors="replace")
            for match in INCLUDE.finditer(text):
                target = match.group(1)
                target_layer = LAYER_OF_INCLUDE_ROOT.get(target.split("/", 1)[0])
                if target_layer is None:
                    continue  # third-party ("absl/...", "spdlog/...") or same-folder
                line = text.count("\n", 0, match.start()) + 1
                where = f"{path.relative_to(root)}:{line}"
                if target_layer not in ALLOWED[layer]:
                    yield f"{where}: {layer}/ may not include {target} ({target_layer}/)"
                elif layer in FORBIDDEN_HEADERS and FORBIDDEN_HEADERS[layer].search(target):
                    yield f"{where}: {layer}/ may not include {target}"


def self_test() -> int:
    cases = {
        "server/x.cc": '#include "gateway/gateway.h"\n',
        "gateway/y.cc": '#include "server/core_server.h"\n',
        "protocol/z.h": '#include "common/grpc_status.h"\n',
        "clients/cpp/w.cc": '#include "server/world/world_store.h"\n',
        "common/v.h": '#include "protocol/frame_codec.h"\n',
    }
    fine = {"app/main.cc": '#include "server/core_server.h"\n#include "gateway/gateway.h"\n',
            "gateway/ok.cc": '#include "protocol/replay_link.h"\n#include "absl/status/status.h"\n'}
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for name, text in {**cases, **fine}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        found = list(violations(root))
    flagged = {line.split(":", 1)[0] for line in found}
    missed = set(cases) - flagged
    wrongly = flagged - set(cases)
    if missed or wrongly:
        print(f"self-test failed: missed {sorted(missed)}, wrongly flagged {sorted(wrongly)}")
        return 1
    print(f"self-test passed: {len(cases)} violations caught, {len(fine)} allowed files clean")
    return 0


def main(argv) -> int:
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = pathlib.Path(argv[1]) if len(argv) > 1 else pathlib.Path(__file__).resolve().parents[2]
    found = list(violations(root))
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} include(s) cross a forbidden boundary (see docs/architecture.md)")
        return 1
    print("dependencies point one way")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
