"""The names the server tests import (`from harness import Server, ...`); they
live in tests/e2e/support/echelon_testing.py, shared with the Python client
tests."""
from echelon_testing import (  # noqa: F401 - re-exported
    DEFAULT_BIN, FIXTURES, Server, SseReader, ends, free_port, load_replay, server_binary, wait_for, world_hash)
