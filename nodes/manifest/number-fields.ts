/**
 * The number fields of relaycast-manifest's editor and the rule for each, as the runtime applies
 * them (lib/config/config-number.ts). The editor's validators (manifest.html) must say the same;
 * test/unit/editor-validators.spec.ts checks that they do.
 */
import type { NumberRule } from '../../lib/config/config-number';

export const MANIFEST_NUMBERS = {
  windowSegments: { field: 'Window', fallback: 6, min: 3, max: 10_000, integer: true },
  targetDuration: { field: 'Target duration', fallback: 0, min: 0, max: 60, integer: true },
  idleEndSeconds: { field: 'End after idle', fallback: 0, min: 0, max: 86_400 },
  // Empty means 3 × target duration (the core's default), so its fallback is never used.
  endGraceSeconds: { field: 'End grace', fallback: 0, min: 0, max: 3600 },
} satisfies Record<string, Omit<NumberRule, 'code'>>;
