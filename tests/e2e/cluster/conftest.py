import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "server"))
sys.path.insert(0, str(HERE.parent / "support"))  # echelon_testing
sys.path.insert(0, str(HERE.parents[2] / "clients" / "python"))
PROTO_PY = os.environ.get("ECHELON_PROTO_PY", str(HERE.parents[2] / "build" / "python"))
sys.path.insert(0, PROTO_PY)
