import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))  # echelon_testing, shared with python_clients
sys.path.insert(0, str(HERE))
PROTO_PY = os.environ.get("ECHELON_PROTO_PY", str(HERE.parents[2] / "build" / "python"))
sys.path.insert(0, PROTO_PY)

from echelon_testing import Server  # noqa: E402


@pytest.fixture
def server():
    with Server() as s:
        yield s
