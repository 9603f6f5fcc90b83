// Keyboard shortcuts: one table drives both the key handler and the help overlay.
// Keys work wherever focus is, except while typing in a text field or a select;
// on the scrub slider, Space and the arrows are ours too (the slider would
// otherwise swallow them after it was used).

export const SHORTCUTS = [
  { keys: ['Space', 'K'], label: 'Play / pause', action: 'togglePlay' },
  { keys: ['←', '→'], label: 'Step one frame back / forward', action: null },
  { keys: ['Shift+←', 'Shift+→'], label: 'Jump 5 s back / forward', action: null },
  { keys: ['Home', 'End'], label: 'Go to the start / end', action: null },
  { keys: ['-', '+'], label: 'Slower / faster', action: null },
  { keys: ['[', ']'], label: 'Previous / next marker', action: null },
  { keys: ['F'], label: 'Follow the selected mech (or double-click a mech)', action: 'followSelected' },
  { keys: ['R'], label: 'Reset the view', action: 'resetView' },
  { keys: ['L'], label: 'Copy a link to this view', action: 'copyLink' },
  { keys: ['Esc'], label: 'Stop following, close panels', action: 'escape' },
  { keys: ['?'], label: 'Show / hide this help', action: 'toggleHelp' },
];

/** The intent name for a keydown event, or null. */
export function intentForKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  switch (event.key) {
    case ' ': case 'k': case 'K': return 'togglePlay';
    case 'ArrowLeft': return event.shiftKey ? 'jumpBack' : 'stepBack';
    case 'ArrowRight': return event.shiftKey ? 'jumpForward' : 'stepForward';
    case 'Home': return 'goToStart';
    case 'End': return 'goToEnd';
    case '-': case '_': return 'slower';
    case '+': case '=': return 'faster';
    case '[': return 'previousMarker';
    case ']': return 'nextMarker';
    case 'f': case 'F': return 'followSelected';
    case 'r': case 'R': return 'resetView';
    case 'l': case 'L': return 'copyLink';
    case 'Escape': return 'escape';
    case '?': return 'toggleHelp';
    default: return null;
  }
}

/** True when the key belongs to the focused control rather than to the viewer. */
export function keyBelongsToControl(event) {
  const target = event.target;
  if (!target || !target.closest) return false;
  if (event.key === 'Escape') return false;
  if (target.closest('textarea, select, input:not([type=range]):not([type=checkbox])')) return true;
  // Checkboxes and buttons keep Space (it toggles them); everything else is ours.
  if (event.key === ' ' && target.closest('input[type=checkbox], button')) return true;
  return false;
}
