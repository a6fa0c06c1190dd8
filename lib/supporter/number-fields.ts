/**
 * The supporter's number settings and the rule for each, shared by its three front ends: the
 * parser (config.ts, used by the node and the command line) applies them through
 * lib/config/config-number.ts, and the build inlines this table into supporter.html so the editor
 * validates with the same rules (test/unit/editor-validators.spec.ts checks that it does). It sits
 * in lib/, not nodes/supporter/, because the command line shares it.
 */
import type { FieldNumberRule } from '../config/number-rule';

export const SUPPORTER_NUMBERS = {
  // Fractions are fine: caps become bytes (rounded) per second and bytes held.
  uploadKBps: { field: 'Upload cap (kB/s)', fallback: 0, min: 0, max: 1_000_000 },
  memoryMB: { field: 'Memory cap (MB)', fallback: 64, min: 8, max: 4096 },
  maxPeers: { field: 'Most peers', fallback: 16, min: 1, max: 64, integer: true },
  // Seconds between stats msgs (the command line's --stats-every, a JSON line each).
  statsEvery: { field: 'Stats every (s)', fallback: 10, min: 1, max: 3600 },
} satisfies Record<string, FieldNumberRule>;
