/**
 * The ICE servers a joining peer is given. A TURN server relays media for whoever holds its
 * credentials, so a static username/password handed to every anonymous viewer makes it an open relay
 * for anyone who reads the welcome. Instead each peer gets an ephemeral credential in the TURN REST
 * scheme that coturn implements as `use-auth-secret`: username `<expiry unix seconds>:<user>`,
 * password base64(HMAC-SHA1(shared secret, username)); the server checks the HMAC and the expiry, so a
 * leaked credential is worth one user until it expires. Other schemes plug in as a provider function.
 */
import { createHmac } from 'node:crypto';
import { builtInStunServers, type BuiltInStun } from './built-in-stun';
import type { IceMode } from './ice-mode';
import type { IceServer, Role } from './protocol';

// The three modes and the rule that picks one live in ice-mode.ts, which the editor shares.
export { ICE_MODES, type IceMode } from './ice-mode';

/** Who the servers are for (what a provider may key its credentials on). */
export interface IcePeer {
  peer: string;
  stream: string;
  rendition: string;
  role: Role;
  supporter?: string;
  /** The host the peer reached the server at (its checked Host header, lib/signaling/built-in-stun.ts). */
  host?: string;
}

export type IceServerProvider = (peer: IcePeer) => IceServer[];

export function turnRestCredential(secret: string, user: string, ttlSeconds: number, now: number): { username: string; credential: string } {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

export interface TurnRestOptions {
  turnSecret: string;
  ttlSeconds: number;
}

/** The configured list with a fresh REST credential on every TURN entry (STUN entries need none). */
export function iceServersForPeer(servers: readonly IceServer[], turn: TurnRestOptions | undefined, user: string, now: number): IceServer[] {
  return servers.map((server) => {
    const urls = Array.isArray(server.urls) ? server.urls : [server.urls];
    if (!turn || !urls.some((u) => /^turns?:/.test(u))) return { ...server };
    return { ...server, ...turnRestCredential(turn.turnSecret, user, turn.ttlSeconds, now) };
  });
}

/** Checks what a settings hook returned: the shape RTCPeerConnection accepts, bounded. */
export function validIceServers(value: unknown): value is IceServer[] {
  if (!Array.isArray(value) || value.length > 8) return false;
  return value.every((entry) => {
    if (typeof entry !== 'object' || entry === null) return false;
    const { urls, username, credential } = entry as Record<string, unknown>;
    const list = Array.isArray(urls) ? urls : [urls];
    return (
      list.length > 0 &&
      list.every((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):/.test(u)) &&
      (username === undefined || typeof username === 'string') &&
      (credential === undefined || typeof credential === 'string')
    );
  });
}

export interface IceProviderOptions {
  /** Default `custom`: the configured list. */
  mode?: IceMode;
  /** The node's own responder (mode `relaycast`). */
  builtIn?: BuiltInStun;
  /** The editor's list (static TURN credentials already attached where configured). */
  configured: IceServer[];
  turn?: TurnRestOptions;
  /** The operator's own scheme (settings.relaycastSignalingIceServers), called at each join. */
  hook?: (peer: IcePeer) => unknown;
  warn(text: string): void;
  now?: () => number;
}

/**
 * What the coordinator hands each joining peer. Mode `none`: nothing, whatever else is set (the
 * dialog promises one local network). Otherwise the hook's answer when it gives a valid one (a hook
 * that throws or answers nonsense falls back, with a warning, rather than leaving the peer without
 * servers); else, in mode `relaycast`, the built-in responder at the host the peer used; in mode
 * `custom`, the configured list, with a fresh REST credential per peer when a TURN secret is set.
 * A plain list when nothing varies per peer, so nothing is computed per join.
 */
export function iceServerProvider(options: IceProviderOptions): IceServer[] | IceServerProvider {
  const { configured, turn, hook, warn, mode = 'custom', builtIn } = options;
  const now = options.now ?? Date.now;
  if (mode === 'none') return [];
  const fallback: IceServerProvider =
    mode === 'relaycast' ? (peer) => (builtIn ? builtInStunServers(builtIn, peer.host) : []) : (peer) => iceServersForPeer(configured, turn, peer.peer, now());
  if (typeof hook !== 'function' && !turn && mode === 'custom') return configured;
  return (peer) => {
    if (typeof hook === 'function') {
      try {
        const servers = hook(peer);
        if (validIceServers(servers)) return servers;
        warn('relaycastSignalingIceServers returned something other than an array of at most 8 {urls, username?, credential?}');
      } catch (err) {
        warn(`relaycastSignalingIceServers threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return fallback(peer);
  };
}
