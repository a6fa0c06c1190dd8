/**
 * The number fields of relaycast-redis's editor and the rule for each, as the runtime applies them
 * (lib/config/config-number.ts). The editor's validator (redis.html) must say the same;
 * test/unit/editor-validators.spec.ts checks that it does.
 */
import type { NumberRule } from '../../lib/config/config-number';

export const REDIS_NUMBERS = {
  // Seconds. 1 s is for tests; past 10 min a crashed instance's viewers would linger too long.
  livenessTtl: { field: 'Liveness TTL', fallback: 15, min: 1, max: 600 },
} satisfies Record<string, Omit<NumberRule, 'code'>>;
