/**
 * The Lua scripts of the Redis registry: each check-and-write runs atomically inside Redis, so two
 * instances admitting a peer at the same moment cannot both take a swarm's last place, and two
 * instances given receipts from one source for one segment cannot both credit it. ioredis sends
 * them by SHA (EVALSHA) and reloads them after a Redis restart (NOSCRIPT) by itself.
 */
import type Redis from 'ioredis';

/** KEYS: swarms set, swarm's peer hash. ARGV: swarmKey, peerId, record, maxSwarms, maxPeers, channel, event. */
const RESERVE = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 and redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 'too-many-swarms' end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then return 'swarm-full' end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 'ok'`;

/** KEYS: swarms set, swarm's peer hash. ARGV: swarmKey, channel, event ('' = none), peerIds… An emptied swarm leaves the set. */
const LEAVE = `
for i = 4, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
if redis.call('HLEN', KEYS[2]) == 0 then redis.call('SREM', KEYS[1], ARGV[1]) end
if ARGV[3] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1`;

/**
 * KEYS: swarm's peer hash. ARGV: peerId, record, channel, event. A level switch rewrites the peer's
 * record only while it is still there: a switch racing the peer's leave must not bring it back.
 */
const UPDATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

/**
 * KEYS: dedupe key, budget key. ARGV: dedupe ttl ms, bytes per period, bytes wanted, budget ttl ms.
 * Returns -1 for a duplicate, else the bytes granted (0 = the period's budget is spent).
 */
const CLAIM_RECEIPT = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return -1 end
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local give = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) - used)
if give <= 0 then return 0 end
redis.call('INCRBY', KEYS[2], give)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return give`;

export interface RegistryScripts {
  reserve(
    swarms: string,
    peers: string,
    swarmKey: string,
    peerId: string,
    record: string,
    maxSwarms: number,
    maxPeers: number,
    channel: string,
    event: string,
  ): Promise<string>;
  leave(swarms: string, peers: string, swarmKey: string, channel: string, event: string, ...peerIds: string[]): Promise<number>;
  update(peers: string, peerId: string, record: string, channel: string, event: string): Promise<number>;
  claimReceipt(dedupe: string, budget: string, dedupeTtlMs: number, bytesPerPeriod: number, bytes: number, budgetTtlMs: number): Promise<number>;
}

const NAMES = { reserve: 'relaycastReserve', leave: 'relaycastLeave', update: 'relaycastUpdate', claimReceipt: 'relaycastClaimReceipt' } as const;

/** Defines the scripts on a client (idempotent) and returns typed callers. */
export function registryScripts(redis: Redis): RegistryScripts {
  const commands = redis as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
  if (!commands[NAMES.reserve]) {
    redis.defineCommand(NAMES.reserve, { numberOfKeys: 2, lua: RESERVE });
    redis.defineCommand(NAMES.leave, { numberOfKeys: 2, lua: LEAVE });
    redis.defineCommand(NAMES.claimReceipt, { numberOfKeys: 2, lua: CLAIM_RECEIPT });
  }
  if (!commands[NAMES.update]) redis.defineCommand(NAMES.update, { numberOfKeys: 1, lua: UPDATE });
  const call = (name: string, args: unknown[]) => (commands[name] as (...a: unknown[]) => Promise<unknown>).apply(redis, args);
  return {
    reserve: (...args) => call(NAMES.reserve, args) as Promise<string>,
    leave: (...args) => call(NAMES.leave, args) as Promise<number>,
    update: (...args) => call(NAMES.update, args) as Promise<number>,
    claimReceipt: (...args) => call(NAMES.claimReceipt, args) as Promise<number>,
  };
}
