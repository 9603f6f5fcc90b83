"""Finding the generated gRPC stubs (generated code is never committed).

The stubs are Python modules ``echelon.replay.v1.*_pb2[_grpc]`` generated from
``proto/``. They are looked up in this order:

1. ``$ECHELON_PROTO_PY``: a directory holding ``echelon/replay/v1/*_pb2*.py``,
   e.g. the build tree's ``<build>/python`` (target ``echelon_proto_python``;
   ctest sets this).
2. Otherwise they are generated on first use from the checkout's ``proto/``
   (or ``$ECHELON_PROTO_DIR``) with Debian's ``protoc --python_out`` and
   ``grpc_python_plugin`` (packages protobuf-compiler, protobuf-compiler-grpc),
   falling back to ``python3 -m grpc_tools.protoc`` when those are missing.
   The output goes to ``echelon_replay/_gen/<hash of the .proto files>/``
   (gitignored), or to ``$XDG_CACHE_HOME/echelon_replay/`` when the package
   directory is read-only (``$ECHELON_PROTO_CACHE`` overrides both). The directory name is a hash of the protos, so
   edited protos regenerate and concurrent first uses cannot see half a tree.

The stub root is appended to ``sys.path`` (never prepended, so it cannot shadow
a trainer's own ``echelon`` package); when another ``echelon`` package is
already importable, the stubs' directory is added to its ``__path__``.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import types

_PROTO_FILES = ("frame.proto", "world.proto", "nav.proto", "replay.proto", "library.proto")
_PROTO_SUBDIR = os.path.join("echelon", "replay", "v1")
_modules = None


class StubsUnavailable(ImportError):
    """The stubs could be neither found nor generated."""


def _proto_dir():
    explicit = os.environ.get("ECHELON_PROTO_DIR")
    if explicit:
        return explicit
    package = os.path.dirname(os.path.abspath(__file__))  # <checkout>/clients/python/echelon_replay
    return os.path.join(package, os.pardir, os.pardir, os.pardir, "proto")


def _proto_digest(proto_dir):
    digest = hashlib.sha256()
    for name in _PROTO_FILES:
        with open(os.path.join(proto_dir, _PROTO_SUBDIR, name), "rb") as f:
            digest.update(name.encode() + b"\0" + f.read())
    return digest.hexdigest()[:12]


def _cache_parent():
    explicit = os.environ.get("ECHELON_PROTO_CACHE")
    if explicit:
        os.makedirs(explicit, exist_ok=True)
        return explicit
    own = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_gen")
    try:
        os.makedirs(own, exist_ok=True)
        if os.access(own, os.W_OK):
            return own
    except OSError:
        pass
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(cache, "echelon_replay")
    os.makedirs(path, exist_ok=True)
    return path


def _protoc_command(proto_dir, out_dir):
    files = [os.path.join(_PROTO_SUBDIR, name) for name in _PROTO_FILES]
    protoc, plugin = shutil.which("protoc"), shutil.which("grpc_python_plugin")
    if protoc and plugin:
        return [protoc, f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_out={out_dir}",
                f"--plugin=protoc-gen-grpc={plugin}", *files]
    try:
        import grpc_tools  # noqa: F401  (pip's grpcio-tools)
    except ImportError:
        raise StubsUnavailable(
            "cannot generate gRPC stubs: install protobuf-compiler and protobuf-compiler-grpc "
            "(or grpcio-tools), or set ECHELON_PROTO_PY to a directory of generated stubs"
        ) from None
    return [sys.executable, "-m", "grpc_tools.protoc", f"-I{proto_dir}", f"--python_out={out_dir}",
            f"--grpc_python_out={out_dir}", *files]


def _generate():
    proto_dir = _proto_dir()
    if not os.path.isdir(os.path.join(proto_dir, _PROTO_SUBDIR)):
        raise StubsUnavailable(f"no protos at {proto_dir}; set ECHELON_PROTO_PY or ECHELON_PROTO_DIR")
    parent = _cache_parent()
    root = os.path.join(parent, _proto_digest(proto_dir))
    if os.path.isdir(root):
        return root
    scratch = tempfile.mkdtemp(prefix="tmp-", dir=parent)
    try:
        done = subprocess.run(_protoc_command(proto_dir, scratch), capture_output=True, text=True)
        if done.returncode != 0:
            raise StubsUnavailable(f"protoc failed: {done.stderr.strip()}")
        for package in ("echelon", os.path.join("echelon", "replay"), _PROTO_SUBDIR):
            open(os.path.join(scratch, package, "__init__.py"), "a").close()
        try:
            os.rename(scratch, root)  # atomic: a complete tree or none
        except OSError:
            if not os.path.isdir(root):  # not merely a concurrent first use
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return root


def _import_from(root):
    if not os.path.isfile(os.path.join(root, _PROTO_SUBDIR, "replay_pb2_grpc.py")):
        raise StubsUnavailable(f"no generated stubs under {root}")
    if root not in sys.path:
        sys.path.append(root)
    import echelon  # ours, or a trainer's own package of the same name

    ours = os.path.join(root, "echelon")
    if ours not in list(echelon.__path__):
        echelon.__path__.append(ours)
    from echelon.replay.v1 import replay_pb2, replay_pb2_grpc, world_pb2, world_pb2_grpc
    from echelon.replay.v1 import library_pb2, library_pb2_grpc

    return types.SimpleNamespace(
        replay_pb2=replay_pb2, replay_pb2_grpc=replay_pb2_grpc, world_pb2=world_pb2, world_pb2_grpc=world_pb2_grpc,
        library_pb2=library_pb2, library_pb2_grpc=library_pb2_grpc,
    )


def load():
    """The stub modules as a namespace (replay_pb2, replay_pb2_grpc, world_pb2, world_pb2_grpc)."""
    global _modules
    if _modules is None:
        _modules = _import_from(os.environ.get("ECHELON_PROTO_PY") or _generate())
    return _modules
