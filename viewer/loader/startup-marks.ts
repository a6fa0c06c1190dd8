/**
 * Performance marks of the loader's start-up steps (`relaycast:<step>`), each set once per page: the
 * swarm bench reads them beside hls.js's events to show where time to first frame goes (the page,
 * the signaling welcome, playlists from the socket or HTTP, the first segment's source). Once per
 * name, so a long session adds nothing to the performance timeline.
 */
const marked = new Set<string>();

export function markStartup(step: string): void {
  if (marked.has(step) || typeof performance === 'undefined' || typeof performance.mark !== 'function') return;
  marked.add(step);
  try {
    performance.mark(`relaycast:${step}`);
  } catch {
    // A page that replaced performance.mark: the marks are diagnostics only.
  }
}
