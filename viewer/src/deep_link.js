// Links to a view: the URL fragment `#replay=ID&t=12.5&follow=blue_0&cam=px,py,pz,tx,ty,tz`
// (replay, playback time in simulation seconds, followed mech, camera position
// and orbit target). A fragment never reaches the server.

/** The view a fragment asks for: {replayId, time, follow, camera} (each null when absent or invalid). */
export function parseViewFragment(hash) {
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const time = Number(params.get('t'));
  const camera = (params.get('cam') || '').split(',').map(Number);
  return {
    replayId: params.get('replay') || null,
    time: params.has('t') && Number.isFinite(time) ? time : null,
    follow: params.get('follow') || null,
    camera: camera.length === 6 && camera.every(Number.isFinite) ? camera : null,
  };
}

/** The fragment for a view (without '#'). */
export function formatViewFragment({ replayId, time, follow, camera }) {
  const params = new URLSearchParams();
  if (replayId) params.set('replay', replayId);
  if (Number.isFinite(time)) params.set('t', String(Math.round(time * 100) / 100));
  if (follow) params.set('follow', follow);
  if (camera) params.set('cam', camera.join(','));
  return params.toString().replace(/%2C/g, ',');
}
