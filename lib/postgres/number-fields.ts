/**
 * The number fields of relaycast-postgres's editor and the rule for each, as the runtime applies
 * them (lib/config/config-number.ts, in settings.ts). The editor (nodes/postgres/postgres.html) inlines
 * this file, so the two cannot drift apart. It imports nothing at run time.
 */
import type { NumberRule } from '../config/config-number';

export const POSTGRES_NUMBERS = {
  port: { field: 'Port', fallback: 5432, min: 1, max: 65535, integer: true },
  poolSize: { field: 'Pool size', fallback: 5, min: 1, max: 100, integer: true },
} satisfies Record<string, Omit<NumberRule, 'code'>>;
