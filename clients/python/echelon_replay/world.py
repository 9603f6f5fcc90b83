"""World hash: the name a world is stored under (PROTOCOL.md, "World hash").

``sha256(json.dumps(world, sort_keys=True, separators=(",", ":")))`` as hex,
first 16 characters. The server recomputes it and rejects bodies it cannot
represent portably, so this refuses the same: NaN, infinities (also a float
literal that overflowed to infinity while parsing) and lone surrogates.

    >>> world_hash({"size": [10, 10, 5], "voxel_size_m": 5.0, "walls": []})
    'cf3c203d2f8a7f81'
"""

import hashlib
import json

HASH_LENGTH = 16


def canonical_json(world) -> str:
    """The canonical text of a parsed world; ValueError when it has none."""
    text = json.dumps(world, sort_keys=True, separators=(",", ":"), allow_nan=False)
    # A surrogate escape is rare (non-BMP text or a lone surrogate): only then
    # pay for the exact check, which a lone surrogate fails when encoded.
    if "\\ud" in text:
        try:
            json.dumps(world, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(f"world contains a lone surrogate: {error}") from None
    return text


def hash_canonical_text(text: str) -> str:
    """The hash of text that canonical_json produced."""
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:HASH_LENGTH]


def world_hash(world) -> str:
    """The hash of a parsed world (a dict as the trainer holds it)."""
    return hash_canonical_text(canonical_json(world))


def _reject_constant(name):
    raise ValueError(f"{name} is not valid in a world")


def world_hash_of_body(body) -> str:
    """The hash of a world given as JSON text or bytes (e.g. a request body)."""
    return world_hash(json.loads(body, parse_constant=_reject_constant))
