"""The package finds or generates its gRPC stubs, and never shadows a
trainer's own ``echelon`` package."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

PACKAGE_ROOT = str(REPO / "clients" / "python")


def run_python(code, env_changes, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ECHELON_PROTO_PY"}
    env.update(env_changes)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), PACKAGE_ROOT])
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not (shutil.which("protoc") and shutil.which("grpc_python_plugin")),
                    reason="needs protoc and grpc_python_plugin")
def test_stubs_are_generated_from_proto_on_first_use(tmp_path):
    cache = tmp_path / "cache"
    code = "from echelon_replay import _stubs; print(_stubs.load().replay_pb2.__file__)"
    done = run_python(code, {"ECHELON_PROTO_CACHE": str(cache)}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(cache))
    again = run_python(code, {"ECHELON_PROTO_CACHE": str(cache)}, tmp_path)
    assert again.stdout == done.stdout  # reused, not regenerated elsewhere


def test_a_trainers_echelon_package_stays_importable(tmp_path):
    trainer = tmp_path / "echelon"
    trainer.mkdir()
    (trainer / "__init__.py").write_text("TRAINER = True\n")
    code = (
        "import echelon\n"
        "from echelon_replay import ReplayClient, _stubs\n"
        "m = _stubs.load()\n"
        "import echelon as again\n"
        "assert again.TRAINER and m.replay_pb2.ReplayChunk\n"
        "print('ok')\n"
    )
    env = {"ECHELON_PROTO_CACHE": str(tmp_path / "cache")}
    if os.environ.get("ECHELON_PROTO_PY"):
        env["ECHELON_PROTO_PY"] = os.environ["ECHELON_PROTO_PY"]
    done = run_python(code, env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
