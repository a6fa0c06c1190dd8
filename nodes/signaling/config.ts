/**
 * Maps the node's editor config and credentials onto the coordinator's limits and ICE servers.
 * Empty fields fall back to the defaults; anything unparsable is a configuration error (with a code)
 * rather than a silently different limit.
 */
import { RelaycastError } from '../../lib/errors';
import { DEFAULT_LIMITS, type SignalingLimits } from '../../lib/signaling/limits';
import type { IceServer } from '../../lib/signaling/protocol';

export interface SignalingConfig {
  path?: string;
  iceServers?: string;
  maxMessageBytes?: string | number;
  ratePerSecond?: string | number;
  burst?: string | number;
  maxPeersPerSwarm?: string | number;
  maxSwarms?: string | number;
  maxConnectionsPerIp?: string | number;
  allowedOrigins?: string;
  openSwarms?: boolean;
  statsInterval?: string | number;
  /** Where the viewer page is served (relative to httpNodeRoot): <viewerPath>/<stream>/; empty = no page. */
  viewerPath?: string;
  /** The master playlist the page plays, relative to the page or absolute. */
  viewerMaster?: string;
  networkPrefixV4?: string | number;
  networkPrefixV6?: string | number;
  sourcePrefixV6?: string | number;
  sourceRatePerSecond?: string | number;
  sourceBurst?: string | number;
  upgradesPerSecond?: string | number;
  upgradeBurst?: string | number;
  /** Addresses or CIDR ranges of reverse proxies whose Forwarded / X-Forwarded-For headers are believed. */
  trustedProxies?: string;
  /** Lifetime of the ephemeral TURN credentials, seconds. */
  turnTtl?: string | number;
}

export interface SignalingCredentials {
  supporterTokens?: string;
  turnUsername?: string;
  turnCredential?: string;
  /** coturn's static-auth-secret (use-auth-secret): each viewer gets its own expiring credential. */
  turnSecret?: string;
  /** Key of the receipts' network tags; empty = random per start (tags then differ across restarts). */
  networkTagKey?: string;
}

export const DEFAULT_PATH = '/relaycast/signal';
export const DEFAULT_STATS_SECONDS = 10;
/** Long enough for a viewing session: a TURN allocation refreshes with the credential it was made with. */
export const DEFAULT_TURN_TTL_SECONDS = 6 * 3600;

export function turnTtlSeconds(config: SignalingConfig): number {
  return integer(config.turnTtl, 'TURN credential lifetime', DEFAULT_TURN_TTL_SECONDS, 60, 7 * 86_400);
}

function integer(value: string | number | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new RelaycastError('E_SIGNAL_CONFIG', `${name} must be an integer from ${min} to ${max}`);
  }
  return parsed;
}

/** The node's URL paths (signaling path, viewer path): one rule; '' takes `fallback`. */
export function normalizePath(path: string | undefined, fallback = DEFAULT_PATH, what = 'path'): string {
  const trimmed = (path ?? '').trim() || fallback;
  if (!/^\/?[A-Za-z0-9._~\-/]+$/.test(trimmed) || trimmed.includes('//') || trimmed.split('/').includes('..')) {
    throw new RelaycastError('E_SIGNAL_CONFIG', `${what} must be a URL path made of [A-Za-z0-9._~-/]`);
  }
  const withSlash = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  return withSlash.length > 1 && withSlash.endsWith('/') ? withSlash.slice(0, -1) : withSlash;
}

export function limitsFromConfig(config: SignalingConfig): Partial<SignalingLimits> {
  const origins = (config.allowedOrigins ?? '').split(/[\s,]+/).filter((o) => o !== '');
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new RelaycastError('E_SIGNAL_CONFIG', `allowed origin '${origin}' must look like https://host[:port]`);
  }
  return {
    maxMessageBytes: integer(config.maxMessageBytes, 'message size', DEFAULT_LIMITS.maxMessageBytes, 1024, 1024 * 1024),
    ratePerSecond: integer(config.ratePerSecond, 'rate', DEFAULT_LIMITS.ratePerSecond, 1, 1_000_000),
    burst: integer(config.burst, 'burst', DEFAULT_LIMITS.burst, 1, 1_000_000),
    maxPeersPerSwarm: integer(config.maxPeersPerSwarm, 'peers per swarm', DEFAULT_LIMITS.maxPeersPerSwarm, 2, 1_000_000),
    maxSwarms: integer(config.maxSwarms, 'swarms', DEFAULT_LIMITS.maxSwarms, 1, 100_000),
    maxConnectionsPerIp: integer(config.maxConnectionsPerIp, 'connections per IP', DEFAULT_LIMITS.maxConnectionsPerIp, 0, 1_000_000),
    allowedOrigins: origins,
    openSwarms: config.openSwarms === true,
    networkPrefixV4: integer(config.networkPrefixV4, 'IPv4 network prefix', DEFAULT_LIMITS.networkPrefixV4, 8, 32),
    networkPrefixV6: integer(config.networkPrefixV6, 'IPv6 network prefix', DEFAULT_LIMITS.networkPrefixV6, 16, 128),
    sourcePrefixV6: integer(config.sourcePrefixV6, 'IPv6 client prefix', DEFAULT_LIMITS.sourcePrefixV6, 32, 128),
    sourceRatePerSecond: integer(config.sourceRatePerSecond, 'rate per address', DEFAULT_LIMITS.sourceRatePerSecond, 1, 10_000_000),
    sourceBurst: integer(config.sourceBurst, 'burst per address', DEFAULT_LIMITS.sourceBurst, 1, 10_000_000),
    upgradesPerSecond: integer(config.upgradesPerSecond, 'connection attempts per address', DEFAULT_LIMITS.upgradesPerSecond, 1, 1_000_000),
    upgradeBurst: integer(config.upgradeBurst, 'connection attempt burst per address', DEFAULT_LIMITS.upgradeBurst, 1, 1_000_000),
  };
}

export function statsIntervalMs(config: SignalingConfig): number {
  return integer(config.statsInterval, 'stats interval', DEFAULT_STATS_SECONDS, 0, 86_400) * 1000;
}

/**
 * ICE servers: JSON from the editor. With a TURN secret, TURN entries get per-peer REST credentials at
 * join (ice-servers.ts); otherwise a static TURN username/credential from the credentials is attached,
 * which every viewer then sees (see the help: that makes the TURN server an open relay).
 */
export function iceServersFromConfig(config: SignalingConfig, credentials: SignalingCredentials): IceServer[] {
  const text = (config.iceServers ?? '').trim();
  if (text === '') return [];
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch {
    throw new RelaycastError('E_SIGNAL_CONFIG', 'ICE servers must be a JSON array like [{"urls":"stun:stun.example.org:3478"}]');
  }
  if (!Array.isArray(parsed) || parsed.length > 8) throw new RelaycastError('E_SIGNAL_CONFIG', 'ICE servers must be a JSON array of at most 8 entries');
  return parsed.map((entry, i) => {
    const urls = (entry as { urls?: unknown })?.urls;
    const list = Array.isArray(urls) ? urls : [urls];
    if (list.length === 0 || !list.every((u) => typeof u === 'string' && /^(stun|stuns|turn|turns):/.test(u))) {
      throw new RelaycastError('E_SIGNAL_CONFIG', `ICE server ${i + 1}: urls must be stun:/turn: URLs`);
    }
    const server: IceServer = { urls: urls as string | string[] };
    const isTurn = list.some((u) => /^turns?:/.test(u as string));
    if (isTurn && !credentials.turnSecret && credentials.turnUsername && credentials.turnCredential) {
      server.username = credentials.turnUsername;
      server.credential = credentials.turnCredential;
    }
    return server;
  });
}
