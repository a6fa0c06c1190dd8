/**
 * The STUN entry a viewer is given when the signaling node runs its own responder (lib/stun): the
 * host the viewer reached Node-RED at (its WebSocket upgrade's Host header) or the operator's
 * configured public host, and the responder's UDP port. The Host header is client input: it only ever
 * goes back into that client's own welcome, but it is still checked to be a plain host (DNS name,
 * IPv4, or bracketed IPv6), so nothing else is ever put into an ICE URL; a bad one gives no entry.
 */
import type { IceServer } from './protocol';
import { stunHost } from './stun-host';

// The host rule is shared with the editor's Public host field, so it lives where the editor can inline it.
export { stunHost };

export interface BuiltInStun {
  port: number;
  /** The operator's public host (already checked with stunHost); else each viewer's Host header. */
  publicHost?: string;
  /** False while the responder is not answering (its port could not be bound): then no entry. */
  listening(): boolean;
}

/** The viewer's list: the built-in server at the host it used, or nothing if that host is unusable or the responder is down. */
export function builtInStunServers(stun: BuiltInStun, viewerHost: string | undefined): IceServer[] {
  const host = stun.publicHost ?? viewerHost;
  if (host === undefined || !stun.listening()) return [];
  return [{ urls: `stun:${host}:${stun.port}` }];
}
