// The tests' world hash (used by the pusher) against the protocol's vectors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './pusher.mjs';
import { worldHash } from './world_hash.mjs';

const vectors = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tests', 'fixtures', 'world_hash_vectors.json'), 'utf8'));

test('world hash matches every vector of fixtures/world_hash_vectors.json', () => {
  assert.ok(vectors.length > 10);
  for (const { body, hash } of vectors) assert.equal(worldHash(body), hash, body);
});

test('world hash rejects what the server rejects with 422', () => {
  for (const body of ['{"x":NaN}', '{"x":Infinity}', '{"x":1e999}', '{"s":"\\ud800"}', '{"a":1', '{"a":1} x']) {
    assert.throws(() => worldHash(body), undefined, body);
  }
});
