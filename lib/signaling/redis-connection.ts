/**
 * One Redis connection pair — a publisher for commands and PUBLISH, a subscriber for SUBSCRIBE
 * (a subscribed connection can run nothing else) — shared by every registry of one relaycast-redis
 * config node. ioredis reconnects with the backoff below and re-subscribes by itself; the pair
 * multiplexes channels to handlers and reports up/down, so users can resync and show a status.
 * Commands fail at once while the publisher is down (no offline queue): callers fall back to local
 * state instead of piling up frames that would arrive stale.
 */
import { EventEmitter } from 'node:events';
import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { envReference, expandEnv } from '../config/env';
import { RelaycastError } from '../errors';

/**
 * ioredis is an optional dependency (only a relaycast-redis config node needs it), loaded on first
 * use so that signaling without Redis never depends on it.
 */
function redisClient(): typeof Redis {
  try {
    const loaded = require('ioredis') as typeof Redis & { default?: typeof Redis };
    return loaded.default ?? loaded;
  } catch {
    throw new RelaycastError('E_REDIS_CLIENT', 'the Redis client is not installed: npm install ioredis@5 in the Node-RED user directory');
  }
}

export interface RedisSettings {
  url: string;
  username?: string;
  password?: string;
  /** TLS even for a redis:// URL (rediss:// always uses TLS). */
  tls?: boolean;
  /** Verify the server's certificate (default true). */
  tlsVerify?: boolean;
  /** Prefix of every key and channel (several deployments can share one Redis). */
  keyPrefix: string;
}

export const DEFAULT_KEY_PREFIX = 'relaycast:';
/** Backoff between reconnect attempts: doubling from 100 ms, capped, with jitter so instances do not reconnect in step. */
export const RECONNECT_MAX_MS = 5_000;

export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT_MAX_MS, 100 * 2 ** Math.min(attempt, 10));
  return Math.round(base / 2 + random() * (base / 2));
}

/**
 * Checks the config node's fields; throws E_REDIS_CONFIG with the reason. The URL, user name and
 * password may each be `${NAME}`, read from the environment (lib/config/env.ts, as postgres's
 * password and r2-bucket's keys); a URL naming a variable that is not set is refused, not replaced
 * by the default.
 */
export function redisSettings(
  input: { url?: unknown; tls?: unknown; tlsVerify?: unknown; keyPrefix?: unknown },
  credentials: { username?: string; password?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): RedisSettings {
  const typed = typeof input.url === 'string' ? input.url.trim() : '';
  const variable = envReference(typed);
  const expanded = expandEnv(typed, env)?.trim() ?? '';
  if (variable !== undefined && expanded === '') {
    throw new RelaycastError('E_REDIS_CONFIG', `the Redis URL is \${${variable}}, but the environment variable ${variable} is not set where Node-RED runs`);
  }
  const url = expanded !== '' ? expanded : 'redis://127.0.0.1:6379';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RelaycastError('E_REDIS_CONFIG', 'the Redis URL is not a URL (redis://host:port/db or rediss://…)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RelaycastError('E_REDIS_CONFIG', `the Redis URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  if (parsed.password !== '') {
    // A password in the URL would be stored in the flow file: it belongs in the credentials.
    throw new RelaycastError('E_REDIS_CONFIG', 'put the Redis password in the password field (credentials), not in the URL');
  }
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw new RelaycastError('E_REDIS_CONFIG', `the Redis database must be a number, not '${db}'`);
  const keyPrefix = typeof input.keyPrefix === 'string' && input.keyPrefix !== '' ? input.keyPrefix : DEFAULT_KEY_PREFIX;
  if (keyPrefix.length > 64 || /\s/.test(keyPrefix)) throw new RelaycastError('E_REDIS_CONFIG', 'the key prefix must be at most 64 characters without spaces');
  const settings: RedisSettings = {
    url,
    keyPrefix,
    tls: input.tls === true || input.tls === 'true',
    tlsVerify: input.tlsVerify !== false && input.tlsVerify !== 'false',
  };
  const username = expandEnv(credentials.username, env);
  const password = expandEnv(credentials.password, env);
  if (username) settings.username = username;
  if (password) settings.password = password;
  return settings;
}

function clientOptions(settings: RedisSettings, name: string): RedisOptions {
  const parsed = new URL(settings.url);
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    connectionName: name,
    retryStrategy: (attempt) => reconnectDelay(attempt),
    // A command sent while disconnected fails at once (callers fall back); queued ones would arrive stale.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    lazyConnect: true,
    // Relays published in one event-loop tick go out as one write (one syscall, one Redis read).
    enableAutoPipelining: true,
  };
  if (settings.username) options.username = settings.username;
  else if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (settings.password) options.password = settings.password;
  if (settings.tls || parsed.protocol === 'rediss:') options.tls = { servername: options.host, rejectUnauthorized: settings.tlsVerify !== false };
  return options;
}

export type MessageHandler = (message: string) => void;

/**
 * Events: 'up' (both connections ready: resync now), 'down' (either lost), 'error' (Error, for a
 * log line; never thrown).
 */
export class RedisPair extends EventEmitter {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  readonly keyPrefix: string;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private upNow = false;
  private closed = false;

  constructor(settings: RedisSettings) {
    super();
    this.keyPrefix = settings.keyPrefix;
    const Client = redisClient();
    this.publisher = new Client(clientOptions(settings, 'relaycast-pub'));
    // The subscriber may queue its SUBSCRIBE while connecting; it runs nothing else.
    this.subscriber = new Client({ ...clientOptions(settings, 'relaycast-sub'), enableOfflineQueue: true, maxRetriesPerRequest: null });
    for (const client of [this.publisher, this.subscriber]) {
      client.on('ready', () => this.checkUp());
      client.on('close', () => this.markDown());
      client.on('error', (err: Error) => {
        if (this.listenerCount('error') > 0) this.emit('error', err);
      });
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (err) {
          if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
        }
      }
    });
    // lazyConnect: connect here, so that a failed first attempt is a rejected promise we catch (then ioredis retries).
    this.publisher.connect().catch(() => {
      /* retried with backoff; 'error' reported it */
    });
    this.subscriber.connect().catch(() => {
      /* same */
    });
  }

  get up(): boolean {
    return this.upNow;
  }

  subscribe(channel: string, handler: MessageHandler): void {
    let set = this.handlers.get(channel);
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
      this.subscriber.subscribe(channel).catch(() => {
        /* re-subscribed on reconnect (autoResubscribe) */
      });
    }
    set.add(handler);
  }

  unsubscribe(channel: string, handler: MessageHandler): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    set.delete(handler);
    if (set.size > 0) return;
    this.handlers.delete(channel);
    if (!this.closed && this.subscriber.status === 'ready')
      this.subscriber.unsubscribe(channel).catch(() => {
        /* gone anyway */
      });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.upNow = false;
    await Promise.all(
      [this.publisher, this.subscriber].map((client) =>
        (client.status === 'ready' ? client.quit().then(() => undefined) : Promise.resolve(client.disconnect())).catch(() => client.disconnect()),
      ),
    );
  }

  private checkUp(): void {
    if (this.closed || this.upNow) return;
    if (this.publisher.status !== 'ready' || this.subscriber.status !== 'ready') return;
    this.upNow = true;
    this.emit('up');
  }

  private markDown(): void {
    if (!this.upNow) return;
    this.upNow = false;
    if (!this.closed) this.emit('down');
  }
}
