/**
 * What a relaycast-redis config node offers the nodes that use it (relaycast-signaling imports only
 * this type; the two node files stay separately loadable).
 */
import type { Node } from 'node-red';
import type { RedisPair } from '../../lib/signaling/redis-connection';

export interface RedisConfigNode extends Node {
  /** Adds a user and returns the one shared connection pair; throws E_REDIS_CONFIG for a bad configuration. */
  register(user: Node): RedisPair;
  /** Removes a user; the pair is closed when the last one leaves. */
  deregister(user: Node): Promise<void>;
  /** Liveness key lifetime of each instance, ms: a crashed instance's peers are gone everywhere within it. */
  readonly livenessTtlMs: number;
}
