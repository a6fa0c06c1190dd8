/**
 * The number fields of relaycast-signaling's editor and the rule for each, as the runtime applies
 * them at deploy (nodes/signaling/config.ts through lib/config/config-number.ts). The build inlines this
 * table into signaling.html, so the editor validates with these very rules;
 * test/unit/editor-validators.spec.ts checks that it does.
 */
import type { FieldNumberRule } from '../../lib/config/number-rule';
import { DEFAULT_LIMITS } from '../../lib/signaling/limits';

/** Long enough for a viewing session: a TURN allocation refreshes with the credential it was made with. */
export const DEFAULT_TURN_TTL_SECONDS = 6 * 3600;
export const DEFAULT_STATS_SECONDS = 10;
export const DEFAULT_STUN_PORT = 3478;

export const SIGNALING_NUMBERS = {
  // Seconds.
  turnTtl: { field: 'TURN TTL', fallback: DEFAULT_TURN_TTL_SECONDS, min: 60, max: 7 * 86_400, integer: true },
  maxMessageBytes: { field: 'Message size', fallback: DEFAULT_LIMITS.maxMessageBytes, min: 1024, max: 1024 * 1024, integer: true },
  ratePerSecond: { field: 'Rate', fallback: DEFAULT_LIMITS.ratePerSecond, min: 1, max: 1_000_000, integer: true },
  burst: { field: 'Burst', fallback: DEFAULT_LIMITS.burst, min: 1, max: 1_000_000, integer: true },
  // Two: a swarm of one has nobody to share with.
  maxPeersPerSwarm: { field: 'Peers/swarm', fallback: DEFAULT_LIMITS.maxPeersPerSwarm, min: 2, max: 1_000_000, integer: true },
  // Two at least: a lone viewer never links anyway.
  minSwarmForLinks: { field: 'Link from', fallback: DEFAULT_LIMITS.minSwarmForLinks, min: 2, max: 1_000_000, integer: true },
  maxSwarms: { field: 'Swarms', fallback: DEFAULT_LIMITS.maxSwarms, min: 1, max: 100_000, integer: true },
  // 0 = unlimited.
  maxConnectionsPerIp: { field: 'Conns/IP', fallback: DEFAULT_LIMITS.maxConnectionsPerIp, min: 0, max: 1_000_000, integer: true },
  // Seconds; 0 = no stats msgs.
  statsInterval: { field: 'Stats every', fallback: DEFAULT_STATS_SECONDS, min: 0, max: 86_400, integer: true },
  networkPrefixV4: { field: 'Network tag IPv4 prefix', fallback: DEFAULT_LIMITS.networkPrefixV4, min: 8, max: 32, integer: true },
  networkPrefixV6: { field: 'Network tag IPv6 prefix', fallback: DEFAULT_LIMITS.networkPrefixV6, min: 16, max: 128, integer: true },
  sourcePrefixV6: { field: 'IPv6 client prefix', fallback: DEFAULT_LIMITS.sourcePrefixV6, min: 32, max: 128, integer: true },
  sourceRatePerSecond: { field: 'Rate/address', fallback: DEFAULT_LIMITS.sourceRatePerSecond, min: 1, max: 10_000_000, integer: true },
  sourceBurst: { field: 'Burst per address', fallback: DEFAULT_LIMITS.sourceBurst, min: 1, max: 10_000_000, integer: true },
  upgradesPerSecond: { field: 'Connects', fallback: DEFAULT_LIMITS.upgradesPerSecond, min: 1, max: 1_000_000, integer: true },
  upgradeBurst: { field: 'Connect burst', fallback: DEFAULT_LIMITS.upgradeBurst, min: 1, max: 1_000_000, integer: true },
  joinsPerNetworkPerMinute: { field: 'Joins/network', fallback: DEFAULT_LIMITS.joinsPerNetworkPerMinute, min: 1, max: 10_000_000, integer: true },
  joinBurstPerNetwork: { field: 'Join burst per network', fallback: DEFAULT_LIMITS.joinBurstPerNetwork, min: 1, max: 10_000_000, integer: true },
  // UDP, of the built-in STUN responder (iceMode 'relaycast'); 3478 is STUN's registered port.
  stunPort: { field: 'STUN port', fallback: DEFAULT_STUN_PORT, min: 1, max: 65_535, integer: true },
} satisfies Record<string, FieldNumberRule>;
