/**
 * relaycast-redis: the configuration node for the Redis that several Node-RED instances share
 * swarms through (lib/signaling/redis-registry.ts). It owns ONE connection pair (publisher +
 * subscriber) shared by every node that uses it, opened at the first register() and closed when the
 * last user deregisters — the pattern of core's MQTT broker node. The password lives only in
 * Node-RED's credential store, never in the flow, a log line or a msg.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { RelaycastError, toRelaycastError } from '../../lib/errors';
import { RedisPair, redisSettings, type RedisSettings } from '../../lib/signaling/redis-connection';
import { configNumber } from '../../lib/config/config-number';
import { DEFAULT_LIVENESS_TTL_MS } from '../../lib/signaling/redis-registry';
import { REDIS_NUMBERS } from './number-fields';
import type { RedisConfigNode } from './redis-api';
import { registerNodeType } from '../shared/node-types';

interface RedisDef extends NodeDef {
  url?: string;
  tls?: boolean;
  tlsVerify?: boolean;
  keyPrefix?: string;
  livenessTtl?: string | number;
}

interface RedisCredentials {
  username?: string;
  password?: string;
}

export = function (RED: NodeAPI) {
  function RedisNode(this: RedisConfigNode & Node<RedisCredentials>, config: RedisDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const users = new Set<Node>();
    let settings: RedisSettings | undefined;
    let settingsError: RelaycastError | undefined;
    let ttlMs = DEFAULT_LIVENESS_TTL_MS;
    let pair: RedisPair | undefined;
    try {
      // Both or neither: a bad TTL makes the whole configuration unusable.
      ttlMs = Math.round(configNumber(config.livenessTtl, { ...REDIS_NUMBERS.livenessTtl, code: 'E_REDIS_CONFIG' }) * 1000);
      settings = redisSettings(config, node.credentials ?? {});
    } catch (err) {
      settingsError = toRelaycastError(err, 'E_REDIS_CONFIG');
    }
    Object.defineProperty(node, 'livenessTtlMs', { get: () => ttlMs });

    let lastError = '';
    node.register = (user: Node) => {
      if (!settings) throw settingsError ?? new RelaycastError('E_REDIS_CONFIG', 'invalid Redis configuration');
      users.add(user);
      if (!pair) {
        pair = new RedisPair(settings);
        // Each distinct connection error once per outage (ioredis retries every few seconds).
        pair.on('error', (err: Error) => {
          if (err.message === lastError) return;
          lastError = err.message;
          node.warn(RED._('redis.errors.connection', { message: err.message }));
        });
        pair.on('up', () => {
          lastError = '';
          node.log(RED._('redis.log.up', { url: settings!.url }));
        });
        pair.on('down', () => node.warn(RED._('redis.log.down', { url: settings!.url })));
      }
      return pair;
    };

    const closePair = async (): Promise<void> => {
      const closing = pair;
      pair = undefined;
      await closing?.close();
    };

    node.deregister = async (user: Node) => {
      users.delete(user);
      if (users.size === 0) await closePair();
    };

    node.on('close', function (done: () => void) {
      // Users deregister in their own close handlers; this covers a config node closed on its own.
      users.clear();
      closePair()
        .catch(() => {
          /* closing anyway */
        })
        .finally(() => done());
    });
  }

  registerNodeType(RED, 'relaycast-redis', RedisNode, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });
};
