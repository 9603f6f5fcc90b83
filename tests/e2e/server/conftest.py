import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
PROTO_PY = os.environ.get("ECHELON_PROTO_PY", str(Path(__file__).resolve().parents[3] / "build" / "python"))
sys.path.insert(0, PROTO_PY)

from harness import Server  # noqa: E402


@pytest.fixture
def server():
    with Server() as s:
        yield s
