"""world_hash against every vector of tests/fixtures/world_hash_vectors.json."""

import json

import pytest

from conftest import FIXTURES
from echelon_replay import canonical_json, world_hash, world_hash_of_body

VECTORS = json.loads((FIXTURES / "world_hash_vectors.json").read_text())


def test_every_vector_is_a_json_object_and_matches():
    # Skipping none: every vector must parse to an object and hash as given.
    assert len(VECTORS) > 50
    mismatches = []
    for vector in VECTORS:
        world = json.loads(vector["body"])
        assert isinstance(world, dict), vector["body"][:80]
        if world_hash(world) != vector["hash"]:
            mismatches.append(vector["body"][:80])
        assert world_hash_of_body(vector["body"]) == vector["hash"]
        assert world_hash_of_body(vector["body"].encode("utf-8")) == vector["hash"]
    assert mismatches == []


def test_canonical_text_is_pythons_sorted_compact_dump():
    assert canonical_json({"b": 1, "a": [1.0, "é"]}) == '{"a":[1.0,"\\u00e9"],"b":1}'
    assert world_hash({"size": [10, 10, 5], "voxel_size_m": 5.0, "walls": []}) == "cf3c203d2f8a7f81"


@pytest.mark.parametrize("body", ['{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}', '{"a":1e400}', '{"a":"\\ud800"}',
                                  '{"a":"\\udc00x"}', '{"\\ud83d":1}'])
def test_bodies_without_a_portable_meaning_are_refused(body):
    with pytest.raises(ValueError):
        world_hash_of_body(body)


def test_refuses_non_finite_floats_in_a_dict():
    with pytest.raises(ValueError):
        world_hash({"voxel_size_m": float("nan")})
    with pytest.raises(ValueError):
        world_hash({"voxel_size_m": float("inf")})


def test_paired_surrogates_are_fine():
    assert world_hash_of_body('{"s":"\\ud83d\\ude80"}') == world_hash({"s": "\U0001f680"})


def test_fixture_worlds_hash_like_their_text():
    for path in sorted((FIXTURES / "worlds").glob("*.json")):
        text = path.read_text()
        assert world_hash(json.loads(text)) == world_hash_of_body(text)
