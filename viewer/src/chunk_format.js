// The one place that knows what a stored chunk looks like on the wire
// (GET /replays/{id}/chunks/{n}). The library returns one chunk's frames; today
// that is a JSON array of frames, and an object carrying them under `frames`
// (the shape of a replay_chunk event) is accepted too, so a change of the
// library's envelope needs a change here only. Runs in the stream worker.

/** Frames of a chunk body (text); throws an Error with a readable message when it is none. */
export function parseChunkBody(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('chunk is not valid JSON');
  }
  const frames = Array.isArray(body) ? body : body && Array.isArray(body.frames) ? body.frames : null;
  if (!frames) throw new Error('chunk has no frames');
  return frames;
}
