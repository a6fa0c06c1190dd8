/**
 * Whether this viewer shares video with other viewers, and the words for when it does not.
 * `?p2p=0` / `?p2p=1` in the address, or the page's toggle, decide; the choice is remembered in
 * localStorage, so a viewer who opted out stays out on the next visit.
 */
export const P2P_CHOICE_KEY = 'relaycast.p2p';

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** The viewer's choice: the address wins (and is remembered), then what was remembered; default on. */
export function p2pChosen(search: string, storage: StorageLike | undefined): boolean {
  const asked = new URLSearchParams(search).get('p2p');
  if (asked === '0' || asked === '1') {
    remember(storage, asked === '1');
    return asked === '1';
  }
  return readRemembered(storage) ?? true;
}

export function remember(storage: StorageLike | undefined, on: boolean): void {
  try {
    storage?.setItem(P2P_CHOICE_KEY, on ? '1' : '0');
  } catch {
    // Storage refused (private mode, a full quota): the choice holds for this page only.
  }
}

function readRemembered(storage: StorageLike | undefined): boolean | undefined {
  try {
    const value = storage?.getItem(P2P_CHOICE_KEY);
    return value === '0' ? false : value === '1' ? true : undefined;
  } catch {
    return undefined;
  }
}

/** Peer links seen by nobody for this long, while playing in the swarm, means none is reachable. */
export const NO_PEERS_AFTER_MS = 20_000;

export interface ModeInput {
  /** The loader runs (false: `?relaycast=0`, plain hls.js). */
  relaycast: boolean;
  chosen: boolean;
  webrtc: boolean;
  joined: boolean;
  supporter: boolean;
  peers: number;
  /** ms the page has been in the swarm, playing, with no peer link. */
  alonePlayingMs: number;
}

/** The header's one line about where the video comes from, and why P2P is off when it is. */
export function modeText(m: ModeInput): string {
  if (!m.relaycast) return 'plain hls.js (HTTP)';
  if (!m.chosen) return 'HTTP only (P2P off: you opted out)';
  if (!m.webrtc) return 'HTTP only (no WebRTC)';
  if (!m.joined) return 'connecting…';
  const role = m.supporter ? 'P2P · supporter' : 'P2P';
  if (m.peers === 0 && m.alonePlayingMs >= NO_PEERS_AFTER_MS) return `${role} · no peers reachable`;
  return role;
}
