/**
 * Maps the node's editor config and credentials onto the coordinator's limits and ICE servers.
 * Empty fields fall back to the defaults; anything unparsable is a configuration error (with a code)
 * rather than a silently different limit.
 */
import { configNumber } from '../../lib/config/config-number';
import { RelaycastError } from '../../lib/errors';
import type { SignalingLimits } from '../../lib/signaling/limits';
import { isLatencyMode, isMediaId, LATENCY_MODES, type IceServer, type LatencyMode } from '../../lib/protocol';
import { effectiveIceMode, iceModeProblem, type IceMode } from '../../lib/signaling/ice-mode';
import { publicHostOf, publicHostProblem } from '../../lib/signaling/stun-host';
import { SIGNALING_NUMBERS } from './number-fields';

export interface SignalingConfig {
  path?: string;
  iceServers?: string;
  maxMessageBytes?: string | number;
  ratePerSecond?: string | number;
  burst?: string | number;
  maxPeersPerSwarm?: string | number;
  minSwarmForLinks?: string | number;
  maxSwarms?: string | number;
  maxConnectionsPerIp?: string | number;
  allowedOrigins?: string;
  openSwarms?: boolean;
  /** Streams (comma- or space-separated) whose viewers are never introduced to each other. */
  p2pOffStreams?: string;
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
  joinsPerNetworkPerMinute?: string | number;
  joinBurstPerNetwork?: string | number;
  /** Addresses or CIDR ranges of reverse proxies whose Forwarded / X-Forwarded-For headers are believed. */
  trustedProxies?: string;
  /** Lifetime of the ephemeral TURN credentials, seconds. */
  turnTtl?: string | number;
  /** 'relaycast' | 'custom' | 'none'; empty = decided by the list (ice-mode below). */
  iceMode?: string;
  latency?: string;
  /** UDP port of the built-in STUN responder. */
  stunPort?: string | number;
  /** The host viewers are told to send STUN to; empty = the host each viewer reached Node-RED at. */
  publicHost?: string;
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
type NumberField = keyof typeof SIGNALING_NUMBERS;

/** A number field by its rule (number-fields.ts, the editor's too): empty takes the default, a bad one is E_SIGNAL_CONFIG. */
function number(config: SignalingConfig, field: NumberField): number {
  return configNumber(config[field], { ...SIGNALING_NUMBERS[field], code: 'E_SIGNAL_CONFIG' });
}

export function turnTtlSeconds(config: SignalingConfig): number {
  return number(config, 'turnTtl');
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
  const p2pOff = (config.p2pOffStreams ?? '').split(/[\s,]+/).filter((o) => o !== '');
  const notAStream = p2pOff.find((stream): boolean => !isMediaId(stream));
  if (notAStream !== undefined) {
    throw new RelaycastError('E_SIGNAL_CONFIG', `P2P off: '${notAStream.slice(0, 64)}' is not a stream id ([A-Za-z0-9._~-], 1–64 characters)`);
  }
  return {
    p2pOffStreams: p2pOff,
    maxMessageBytes: number(config, 'maxMessageBytes'),
    ratePerSecond: number(config, 'ratePerSecond'),
    burst: number(config, 'burst'),
    maxPeersPerSwarm: number(config, 'maxPeersPerSwarm'),
    minSwarmForLinks: number(config, 'minSwarmForLinks'),
    maxSwarms: number(config, 'maxSwarms'),
    maxConnectionsPerIp: number(config, 'maxConnectionsPerIp'),
    allowedOrigins: origins,
    openSwarms: config.openSwarms === true,
    networkPrefixV4: number(config, 'networkPrefixV4'),
    networkPrefixV6: number(config, 'networkPrefixV6'),
    sourcePrefixV6: number(config, 'sourcePrefixV6'),
    sourceRatePerSecond: number(config, 'sourceRatePerSecond'),
    sourceBurst: number(config, 'sourceBurst'),
    upgradesPerSecond: number(config, 'upgradesPerSecond'),
    upgradeBurst: number(config, 'upgradeBurst'),
    joinsPerNetworkPerMinute: number(config, 'joinsPerNetworkPerMinute'),
    joinBurstPerNetwork: number(config, 'joinBurstPerNetwork'),
  };
}

export function statsIntervalMs(config: SignalingConfig): number {
  return number(config, 'statsInterval') * 1000;
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
  try {
    parsed = JSON.parse(text);
  } catch {
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

/** The stream's latency mode (lib/protocol/latency-mode.ts); empty (a flow from before the setting) is standard. */
export function latencyFromConfig(config: SignalingConfig): LatencyMode {
  if (config.latency === undefined || config.latency === '') return 'standard';
  if (!isLatencyMode(config.latency))
    throw new RelaycastError('E_SIGNAL_CONFIG', `latency must be one of ${LATENCY_MODES.join(', ')}, got ${JSON.stringify(config.latency)}`);
  return config.latency;
}

/**
 * Where viewers get their ICE servers, by the rule the editor shares (lib/signaling/ice-mode.ts): an
 * empty mode keeps a flow's ICE list (`custom`) when it has one, else takes the node's own STUN
 * responder (`relaycast`). Call after iceServersFromConfig, which refuses a list that is no list.
 */
export function iceModeFromConfig(config: SignalingConfig): IceMode {
  const problem = iceModeProblem(config.iceMode);
  if (problem !== undefined) throw new RelaycastError('E_SIGNAL_CONFIG', problem);
  return effectiveIceMode(config.iceMode, config.iceServers)!;
}

export function stunPortFromConfig(config: SignalingConfig): number {
  return number(config, 'stunPort');
}

/** The configured public host as a stun: URI host, or undefined when empty; a bad one is E_SIGNAL_CONFIG (lib/signaling/stun-host.ts, the editor's rule too). */
export function publicHostFromConfig(config: SignalingConfig): string | undefined {
  const problem = publicHostProblem(config.publicHost);
  if (problem !== undefined) throw new RelaycastError('E_SIGNAL_CONFIG', problem);
  return publicHostOf(config.publicHost);
}
